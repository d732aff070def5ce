<?php
/**
 * Sends one POST and says what came back. Two implementations, no Composer package: the curl
 * extension (CurlHttpSender) when PHP has it, else PHP's http stream wrapper (StreamHttpSender).
 */

namespace PrestashopInfor\Http;

interface HttpSender
{
    /**
     * @param array $headers name => value
     * @param int $timeout seconds for connect plus response
     */
    public function post(string $url, array $headers, string $body, int $timeout): HttpResponse;
}
