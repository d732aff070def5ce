<?php
/**
 * Sends the outbox's due events, one signed POST each (shared/contracts/webhooks.md §2, §3, §5),
 * and records what became of them (§7.1):
 *
 * - any 2xx: delivered;
 * - 408, 429, 5xx, a timeout, a connection or TLS error: tried again, after 5 s, 5 min, 30 min,
 *   2 h, 5 h, 10 h, 10 h (each measured from the previous attempt): eight attempts in all, over a
 *   little more than 27.5 hours, then refused;
 * - any other 4xx: refused at once (a dead letter: the back office shows it);
 * - an event still undelivered 72 hours after it was recorded (the dispatch stalled: no cron, shop
 *   down) is refused as expired instead of sent: the receiver keeps event ids for 72 hours (§7.2),
 *   and the pipeline's polling has caught the change up by then (§1.5).
 *
 * Plain PHP: the outbox, the HTTP sender, the secrets and the clock are handed in.
 */

namespace PrestashopInfor;

use PrestashopInfor\Http\HttpSender;

final class Dispatcher
{
    /** Seconds before attempts 2 to 8 (webhooks.md §7.1). */
    const RETRY_DELAYS = [5, 300, 1800, 7200, 18000, 36000, 36000];
    /** Seconds after which an undelivered event is given up: the receiver's dedupe window. */
    const MAX_AGE = 259200;
    /** Seconds the receiver has to answer, connect included (webhooks.md §2). */
    const TIMEOUT = 3;
    /** Seconds a claimed event stays out of other senders' way. */
    const LEASE = 60;
    /** Seconds before an event is looked at again when the shop has no secret to sign it with. */
    const NO_SECRET_DELAY = 300;
    const USER_AGENT = 'PrestaShop-Webhooks/1.0';

    const DELIVERED = 'delivered';
    const RETRY = 'retry';
    const REFUSED = 'refused';
    const POSTPONED = 'postponed';

    /** @var Outbox */
    private $outbox;
    /** @var HttpSender */
    private $http;
    /** @var callable (int $idShopGroup, int $idShop): string[] the secrets to sign with, newest first */
    private $secretsFor;
    /** @var callable (): int Unix seconds */
    private $clock;

    public function __construct(Outbox $outbox, HttpSender $http, callable $secretsFor, callable $clock)
    {
        $this->outbox = $outbox;
        $this->http = $http;
        $this->secretsFor = $secretsFor;
        $this->clock = $clock;
    }

    /**
     * Sends at most `$maxEvents` due events, starting no new one after `$seconds` seconds; returns
     * how many ended in each outcome.
     */
    public function dispatch(int $maxEvents, int $seconds): array
    {
        $outcomes = [self::DELIVERED => 0, self::RETRY => 0, self::REFUSED => 0, self::POSTPONED => 0];
        $started = $this->now();
        foreach ($this->outbox->due($started, $maxEvents) as $row) {
            if ($this->now() - $started >= $seconds) {
                break;
            }
            if (!$this->outbox->claim($row, $this->now() + self::LEASE)) {
                continue; // another sender (the cron, another request) has it
            }
            ++$outcomes[$this->deliver($row)];
        }

        return $outcomes;
    }

    /** One attempt at one outbox row; returns its outcome. */
    public function deliver(array $row): string
    {
        $id = (int) $row['id_outbox'];
        $now = $this->now();
        if ($now - (int) $row['created_at'] > self::MAX_AGE) {
            $this->outbox->markRefused($id, (int) $row['attempts'], 'expired: not delivered within 72 hours', $now);

            return self::REFUSED;
        }
        $secrets = call_user_func($this->secretsFor, (int) $row['id_shop_group'], (int) $row['id_shop']);
        if (!$secrets) {
            $this->outbox->postpone($id, $now + self::NO_SECRET_DELAY, 'no secret configured for this shop');

            return self::POSTPONED;
        }
        $attempt = (int) $row['attempts'] + 1;
        $body = (string) $row['envelope'];
        $response = $this->http->post(
            (string) $row['receiver_url'],
            self::headers($body, $secrets, $now, $attempt),
            $body,
            self::TIMEOUT
        );
        $outcome = self::outcome($response->status);
        if ($outcome === self::DELIVERED) {
            $this->outbox->markDelivered($id, $attempt, $this->now());

            return self::DELIVERED;
        }
        $error = $response->describe();
        if ($outcome === self::REFUSED) {
            $this->outbox->markRefused($id, $attempt, $error, $this->now());

            return self::REFUSED;
        }
        if ($attempt > count(self::RETRY_DELAYS)) {
            $this->outbox->markRefused($id, $attempt, 'gave up after ' . $attempt . ' attempts: ' . $error, $this->now());

            return self::REFUSED;
        }
        $this->outbox->markForRetry($id, $attempt, $this->now() + self::RETRY_DELAYS[$attempt - 1], $error, $this->now());

        return self::RETRY;
    }

    /**
     * The request headers of one attempt (webhooks.md §3): signed afresh at `$now`, with the event
     * id and name read from the body itself so they always match it.
     */
    public static function headers(string $body, array $secrets, int $now, int $attempt): array
    {
        $envelope = json_decode($body, true);

        return [
            'Content-Type' => 'application/json',
            'User-Agent' => self::USER_AGENT,
            'X-PS-Webhook-Id' => (string) $envelope['id'],
            'X-PS-Webhook-Event' => (string) $envelope['event'],
            'X-PS-Webhook-Timestamp' => (string) $now,
            'X-PS-Webhook-Attempt' => (string) $attempt,
            'X-PS-Webhook-Signature' => Signature::header($now, $body, $secrets),
        ];
    }

    /** What an answer means (webhooks.md §7.1); `null` is no answer: a timeout or a connection error. */
    public static function outcome($status): string
    {
        if ($status === null || $status === 408 || $status === 429 || $status >= 500) {
            return self::RETRY;
        }
        if ($status >= 200 && $status < 300) {
            return self::DELIVERED;
        }

        return self::REFUSED; // 400, 401, 403, 404, 410, 413, other 4xx, and the odd 1xx or 3xx
    }

    private function now(): int
    {
        return (int) call_user_func($this->clock);
    }
}
