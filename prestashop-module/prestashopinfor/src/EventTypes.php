<?php
/**
 * The event names of the webhook contract (shared/contracts/webhooks.md §6), exactly as the pipeline's
 * receiver knows them (prestashop_infor/names.py, EVENT_TYPES).
 */

namespace PrestashopInfor;

final class EventTypes
{
    const ORDER_CREATED = 'order.created';
    const ORDER_STATUS_CHANGED = 'order.status_changed';
    const ORDER_UPDATED = 'order.updated';
    const ORDER_TRACKING_UPDATED = 'order.tracking_updated';
    const ORDER_PAYMENT_CONFIRMED = 'order.payment_confirmed';
    const CUSTOMER_CREATED = 'customer.created';
    const CUSTOMER_UPDATED = 'customer.updated';
    const CUSTOMER_DELETED = 'customer.deleted';
    const ADDRESS_CREATED = 'address.created';
    const ADDRESS_UPDATED = 'address.updated';
    const ADDRESS_DELETED = 'address.deleted';
    const PRODUCT_CREATED = 'product.created';
    const PRODUCT_UPDATED = 'product.updated';
    const PRODUCT_DELETED = 'product.deleted';
    const COMBINATION_CREATED = 'combination.created';
    const COMBINATION_UPDATED = 'combination.updated';
    const COMBINATION_DELETED = 'combination.deleted';
    const STOCK_UPDATED = 'stock.updated';
    /**
     * Merchandise returns: this project's addition to the contract (webhooks.md §6 lets senders add
     * names; prestashop_infor/names.py knows them). PrestaShop's Webservice never shows a return's
     * lines, so these events carry them in `data`.
     */
    const ORDER_RETURN_CREATED = 'order_return.created';
    const ORDER_RETURN_UPDATED = 'order_return.updated';

    /**
     * Not a v1 event: the contract defines no test event, but lets senders add names and has
     * receivers answer 2xx to names they do not know (webhooks.md §4 and §6). The back office's
     * "send a test event" button sends it; it never goes through the outbox.
     */
    const TEST_PING = 'test.ping';

    const ALL = [
        self::ORDER_CREATED,
        self::ORDER_STATUS_CHANGED,
        self::ORDER_UPDATED,
        self::ORDER_TRACKING_UPDATED,
        self::ORDER_PAYMENT_CONFIRMED,
        self::CUSTOMER_CREATED,
        self::CUSTOMER_UPDATED,
        self::CUSTOMER_DELETED,
        self::ADDRESS_CREATED,
        self::ADDRESS_UPDATED,
        self::ADDRESS_DELETED,
        self::PRODUCT_CREATED,
        self::PRODUCT_UPDATED,
        self::PRODUCT_DELETED,
        self::COMBINATION_CREATED,
        self::COMBINATION_UPDATED,
        self::COMBINATION_DELETED,
        self::STOCK_UPDATED,
        self::ORDER_RETURN_CREATED,
        self::ORDER_RETURN_UPDATED,
    ];
}
