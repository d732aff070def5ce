<?php
/**
 * The v1 event envelope (shared/contracts/webhooks.md §4): what one webhook request's body holds.
 * The Python reference is the emulator's sender (prestashop_infor/sandbox/prestashop/webhooks.py).
 */

namespace PrestashopInfor;

final class Envelope
{
    const CONTRACT_VERSION = 1;

    /**
     * The envelope of one event, its fields in the contract's order.
     *
     * @param array $shop id_shop, id_shop_group, url (the shop's base URL, no trailing slash), ps_version
     * @param int|null $resourceId null for a stock event whose stock_availables row is not known
     * @param int $resourceVersion 1, 2, 3... for each event of the same resource (Outbox::nextVersion);
     *                             not a v1 field: an addition the receiver may use to spot reordering
     */
    public static function build(
        string $eventId,
        string $event,
        int $occurredAt,
        array $shop,
        string $sourceHook,
        string $resourceType,
        $resourceId,
        int $resourceVersion,
        array $data
    ): array {
        $resource = ['type' => $resourceType, 'id' => $resourceId === null ? null : (int) $resourceId];
        if ($resourceId !== null) {
            $resource['href'] = $shop['url'] . '/api/' . $resourceType . '/' . (int) $resourceId;
        }

        return [
            'id' => $eventId,
            'event' => $event,
            'contract_version' => self::CONTRACT_VERSION,
            'occurred_at' => gmdate('Y-m-d\TH:i:s\Z', $occurredAt),
            'shop' => [
                'id_shop' => (int) $shop['id_shop'],
                'id_shop_group' => (int) $shop['id_shop_group'],
                'url' => (string) $shop['url'],
                'ps_version' => (string) $shop['ps_version'],
            ],
            'source_hook' => $sourceHook,
            'resource' => $resource,
            'resource_version' => $resourceVersion,
            'data' => $data,
        ];
    }

    /**
     * The body's bytes: UTF-8 JSON, sent and signed exactly as stored in the outbox. An empty `data`
     * stays a JSON object; invalid UTF-8 (from a badly imported reference) is replaced, never fatal.
     */
    public static function encode(array $envelope): string
    {
        if (isset($envelope['data']) && $envelope['data'] === []) {
            $envelope['data'] = new \stdClass();
        }

        return json_encode($envelope, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE);
    }

    /** A random (version 4) UUID: the event id, stable across retries (webhooks.md §3 and §4). */
    public static function uuid4(): string
    {
        $bytes = random_bytes(16);
        $bytes[6] = chr((ord($bytes[6]) & 0x0f) | 0x40);
        $bytes[8] = chr((ord($bytes[8]) & 0x3f) | 0x80);
        $hex = bin2hex($bytes);

        return substr($hex, 0, 8) . '-' . substr($hex, 8, 4) . '-' . substr($hex, 12, 4) . '-'
            . substr($hex, 16, 4) . '-' . substr($hex, 20);
    }
}
