<?php

namespace PrestashopInfor\Http;

/** The answer to one POST: its status, or none (`null`) with the transport's error. */
final class HttpResponse
{
    /** @var int|null null: no answer (timeout, connection refused, TLS error) */
    public $status;
    /** @var string */
    public $error;
    /** @var string the start of the answer's body */
    public $body;

    public function __construct($status, string $error = '', string $body = '')
    {
        $this->status = $status === null ? null : (int) $status;
        $this->error = $error;
        $this->body = substr($body, 0, 200);
    }

    /** One line for the outbox's last_error. */
    public function describe(): string
    {
        if ($this->status === null) {
            return 'no answer: ' . ($this->error !== '' ? $this->error : 'unknown transport error');
        }

        return 'HTTP ' . $this->status . ($this->body !== '' ? ': ' . $this->body : '');
    }
}
