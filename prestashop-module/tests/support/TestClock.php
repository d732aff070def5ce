<?php

/** The time the tests decide: Unix seconds, moved by hand. */
class TestClock
{
    /** @var int */
    public $now;

    public function __construct(int $now)
    {
        $this->now = $now;
    }

    public function __invoke(): int
    {
        return $this->now;
    }
}
