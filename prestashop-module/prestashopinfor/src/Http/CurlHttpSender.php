<?php

namespace PrestashopInfor\Http;

/** POST with the curl extension: redirects not followed, connect and total time bounded. */
final class CurlHttpSender implements HttpSender
{
    public function post(string $url, array $headers, string $body, int $timeout): HttpResponse
    {
        if (!Senders::isWebUrl($url)) {
            return new HttpResponse(null, 'not an http(s) URL');
        }
        $lines = Senders::headerLines($headers);
        $lines[] = 'Expect:'; // no "100-continue" round trip
        $handle = curl_init($url);
        curl_setopt_array($handle, [
            CURLOPT_POST => true,
            CURLOPT_POSTFIELDS => $body,
            CURLOPT_HTTPHEADER => $lines,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_CONNECTTIMEOUT => $timeout,
            CURLOPT_TIMEOUT => $timeout,
            CURLOPT_PROTOCOLS => CURLPROTO_HTTP | CURLPROTO_HTTPS,
        ]);
        $answer = curl_exec($handle);
        if ($answer === false) {
            $error = curl_error($handle);
            curl_close($handle);

            return new HttpResponse(null, $error);
        }
        $status = (int) curl_getinfo($handle, CURLINFO_RESPONSE_CODE);
        curl_close($handle);

        return new HttpResponse($status, '', (string) $answer);
    }
}
