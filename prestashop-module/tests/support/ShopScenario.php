<?php

/**
 * A small shop (one order of customer 7, its carrier, a merchandise return of two of its lines, an
 * address, a product with a combination, a stock row) and one call of each hook the module registers,
 * with the parameters PrestaShop passes, each with the event it must record. Shared by the PHPUnit
 * tests and tests/contract/events.php.
 */
final class ShopScenario
{
    const ORDER = 5;
    const CUSTOMER = 7;
    const ORDER_RETURN = 4;

    /** Saves the shop's records (call after prestashop_stubs_reset). */
    public static function seed()
    {
        Order::saved(self::ORDER, [
            'id_shop' => 1, 'id_shop_group' => 1, 'id_customer' => self::CUSTOMER, 'reference' => 'XKBKNABJK',
            'current_state' => 0, 'date_add' => '2024-05-31 18:08:37', 'date_upd' => '2024-05-31 18:08:37',
        ]);
        Order::saved(6, [
            'id_shop' => 1, 'id_shop_group' => 1, 'id_customer' => self::CUSTOMER, 'reference' => 'XKBKNABJK',
            'current_state' => 0, 'date_add' => '2024-05-31 18:08:37', 'date_upd' => '2024-05-31 18:08:37',
        ]);
        OrderState::saved(2, ['paid' => 1]);
        OrderState::saved(10, ['paid' => 0]);
        OrderCarrier::saved(3, ['id_order' => self::ORDER, 'id_carrier' => 1, 'tracking_number' => '1Z999AA10123456784']);
        // controllers/front/OrderFollowController.php: the customer's return (state 1), then its lines
        OrderReturn::saved(self::ORDER_RETURN, [
            'id_customer' => self::CUSTOMER, 'id_order' => self::ORDER, 'state' => '1', 'question' => 'Too small',
            'date_add' => '2024-06-03 10:15:00', 'date_upd' => '2024-06-03 10:15:00',
        ]);
        OrderReturn::savedDetail(self::ORDER_RETURN, 21, 1);
        OrderReturn::savedDetail(self::ORDER_RETURN, 22, 2);
        Customer::saved(self::CUSTOMER, ['id_shop' => 1, 'id_shop_group' => 1, 'date_upd' => '2024-05-30 09:00:00']);
        Address::saved(9, ['id_customer' => self::CUSTOMER, 'date_upd' => '2024-05-30 09:01:00']);
        Product::saved(12, ['date_upd' => '2024-05-29 10:00:00']);
        Combination::saved(40, ['id_product' => 12]);
        StockAvailable::$ids['12:40:1'] = 77;
    }

    /**
     * Each [hook, params, event]: every event type of the contract at least once.
     */
    public static function hookCalls(): array
    {
        $order = new Order(self::ORDER);
        $customer = new Customer(self::CUSTOMER);
        $address = new Address(9);
        $product = new Product(12);
        $combination = new Combination(40);
        $orderReturn = new OrderReturn(self::ORDER_RETURN);

        return [
            ['actionValidateOrder', ['cart' => null, 'order' => $order, 'customer' => $customer, 'currency' => null, 'orderStatus' => new OrderState(10)], 'order.created'],
            ['actionOrderStatusPostUpdate', ['newOrderStatus' => new OrderState(2), 'oldOrderStatus' => new OrderState(10), 'id_order' => self::ORDER], 'order.status_changed'],
            ['actionOrderSlipAdd', ['order' => $order, 'productList' => [], 'qtyList' => []], 'order.updated'],
            ['actionObjectOrderCarrierUpdateAfter', ['object' => new OrderCarrier(3)], 'order.tracking_updated'],
            ['actionPaymentConfirmation', ['id_order' => self::ORDER], 'order.payment_confirmed'],
            ['actionObjectCustomerAddAfter', ['object' => $customer], 'customer.created'],
            ['actionObjectCustomerUpdateAfter', ['object' => $customer], 'customer.updated'],
            ['actionObjectCustomerDeleteAfter', ['object' => $customer], 'customer.deleted'],
            ['actionObjectAddressAddAfter', ['object' => $address], 'address.created'],
            ['actionObjectAddressUpdateAfter', ['object' => $address], 'address.updated'],
            ['actionObjectAddressDeleteAfter', ['object' => $address], 'address.deleted'],
            ['actionObjectProductAddAfter', ['object' => $product], 'product.created'],
            ['actionObjectProductUpdateAfter', ['object' => $product], 'product.updated'],
            ['actionObjectProductDeleteAfter', ['object' => $product], 'product.deleted'],
            ['actionObjectCombinationAddAfter', ['object' => $combination], 'combination.created'],
            ['actionObjectCombinationUpdateAfter', ['object' => $combination], 'combination.updated'],
            ['actionObjectCombinationDeleteAfter', ['object' => $combination], 'combination.deleted'],
            ['actionUpdateQuantity', ['id_product' => 12, 'id_product_attribute' => 40, 'quantity' => 3, 'delta_quantity' => -1, 'id_shop' => 1], 'stock.updated'],
            ['actionOrderReturn', ['orderReturn' => $orderReturn], 'order_return.created'],
            ['actionObjectOrderReturnUpdateAfter', ['object' => $orderReturn], 'order_return.updated'],
        ];
    }

    /** Calls a hook as Hook::exec does: the module's hook<Name> method with the parameters. */
    public static function call(Module $module, string $hook, array $params)
    {
        $method = 'hook' . ucfirst($hook);

        return $module->$method($params);
    }
}
