<?php

namespace PrestashopInfor\Http;

/**
 * POST with PHP's http stream wrapper (file_get_contents), for a PHP without curl: redirects not
 * followed, 4xx and 5xx answers read rather than turned into a failure, the timeout applying to the
 * connect and to each read.
 */
final class StreamHttpSender implements HttpSender
{
    public function post(string $url, array $headers, string $body, int $timeout): HttpResponse
    {
        if (!Senders::isWebUrl($url)) {
            return new HttpResponse(null, 'not an http(s) URL');
        }
        $lines = Senders::headerLines($headers);
        $lines[] = 'Content-Length: ' . strlen($body);
        $lines[] = 'Connection: close';
        $context = stream_context_create(['http' => [
            'method' => 'POST',
            'header' => implode("\r\n", $lines),
            'content' => $body,
            'timeout' => $timeout,
            'follow_location' => 0,
            'ignore_errors' => true,
        ]]);
        $http_response_header = null;
        error_clear_last();
        $answer = @file_get_contents($url, false, $context);
        $status = self::status(is_array($http_response_header) ? $http_response_header : []);
        if ($status === null) {
            $error = error_get_last();

            return new HttpResponse(null, $error ? $error['message'] : 'no answer');
        }

        return new HttpResponse($status, '', $answer === false ? '' : $answer);
    }

    /** The status of the last response in the headers PHP collected ("HTTP/1.1 202 Accepted"). */
    private static function status(array $headers)
    {
        $status = null;
        foreach ($headers as $line) {
            if (preg_match('#^HTTP/\S+\s+(\d{3})#', $line, $match)) {
                $status = (int) $match[1];
            }
        }

        return $status;
    }
}
