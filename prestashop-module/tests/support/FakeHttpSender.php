<?php

use PrestashopInfor\Http\HttpResponse;
use PrestashopInfor\Http\HttpSender;

/** An HTTP sender that records each request and answers from a script (202 when the script is empty). */
class FakeHttpSender implements HttpSender
{
    /** @var array each [url, headers, body, timeout] */
    public $requests = [];
    /** @var HttpResponse[] the next answers, in order */
    public $answers = [];
    /** @var callable|null called before answering (a test's way of letting time pass) */
    public $onRequest;

    /** Answers `$status` next (null: no answer, as a timeout). */
    public function answer($status, string $error = '', string $body = '')
    {
        $this->answers[] = new HttpResponse($status, $error, $body);

        return $this;
    }

    public function post(string $url, array $headers, string $body, int $timeout): HttpResponse
    {
        $this->requests[] = ['url' => $url, 'headers' => $headers, 'body' => $body, 'timeout' => $timeout];
        if ($this->onRequest) {
            call_user_func($this->onRequest);
        }

        return $this->answers ? array_shift($this->answers) : new HttpResponse(202, '', '{"status":"accepted"}');
    }
}
