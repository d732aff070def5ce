<?php

namespace PrestashopInfor\Http;

final class Senders
{
    /** The curl extension when PHP has it, else PHP's own http stream wrapper. */
    public static function best(): HttpSender
    {
        return function_exists('curl_init') ? new CurlHttpSender() : new StreamHttpSender();
    }

    /** Only http:// and https:// URLs are ever posted to (never file://, php://...). */
    public static function isWebUrl(string $url): bool
    {
        return (bool) preg_match('#^https?://[^/\s]+#i', $url);
    }

    /** "Name: value" lines. */
    public static function headerLines(array $headers): array
    {
        $lines = [];
        foreach ($headers as $name => $value) {
            $lines[] = $name . ': ' . $value;
        }

        return $lines;
    }
}
