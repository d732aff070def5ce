<?php
/**
 * The request signature of shared/contracts/webhooks.md §5: HMAC-SHA256, keyed with the secret's
 * bytes, over the decimal timestamp, a full stop, then the raw body bytes exactly as sent; lower-case
 * hex. Header: `t=<t>,v1=<hex>`, with one `v1` per secret while a secret is rotated.
 */

namespace PrestashopInfor;

final class Signature
{
    /** Seconds between the signature's t and now, either way, that a receiver accepts. */
    const TOLERANCE = 300;

    public static function sign(string $secret, int $timestamp, string $body): string
    {
        return hash_hmac('sha256', $timestamp . '.' . $body, $secret);
    }

    /** The X-PS-Webhook-Signature value: the new secret first, then the one being retired. */
    public static function header(int $timestamp, string $body, array $secrets): string
    {
        $header = 't=' . $timestamp;
        foreach ($secrets as $secret) {
            $header .= ',v1=' . self::sign($secret, $timestamp, $body);
        }

        return $header;
    }

    /**
     * Whether a request is authentic, checked as the contract's receiver does (§5, steps 2 to 5):
     * exactly one t and at least one v1, X-PS-Webhook-Timestamp (when given) equal to t, t within
     * the tolerance of now, and a v1 equal, in constant time, to the HMAC with one of the secrets.
     */
    public static function verify(
        string $body,
        $header,
        $timestampHeader,
        array $secrets,
        int $now,
        int $tolerance = self::TOLERANCE
    ): bool {
        if (!is_string($header) || $header === '') {
            return false;
        }
        $stamps = [];
        $given = [];
        foreach (explode(',', $header) as $part) {
            $pair = explode('=', $part, 2);
            if (count($pair) !== 2) {
                continue;
            }
            $key = trim($pair[0]);
            if ($key === 't') {
                $stamps[] = trim($pair[1]);
            } elseif ($key === 'v1') {
                $given[] = trim($pair[1]);
            }
        }
        if (count($stamps) !== 1 || !$given || !preg_match('/^[0-9]{1,12}$/', $stamps[0])) {
            return false;
        }
        $t = $stamps[0];
        if ($timestampHeader !== null && trim((string) $timestampHeader) !== $t) {
            return false;
        }
        if (abs($now - (int) $t) > $tolerance) {
            return false;
        }
        foreach ($secrets as $secret) {
            $expected = self::sign($secret, (int) $t, $body);
            foreach ($given as $candidate) {
                if (hash_equals($expected, $candidate)) {
                    return true;
                }
            }
        }

        return false;
    }
}
