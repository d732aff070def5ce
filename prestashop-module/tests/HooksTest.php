<?php

/**
 * Install and uninstall, and each hook: the event it records in the outbox (and nothing else: no
 * network call in the shop's request), its envelope, versions, receivers, multistore.
 */
final class HooksTest extends ModuleTestCase
{
    /** The data hints each event carries (webhooks.md §6). */
    const DATA = [
        'order.created' => ['id_order', 'reference', 'id_customer', 'current_state', 'date_add', 'date_upd'],
        'order.status_changed' => ['id_order', 'old_state', 'new_state', 'date_upd'],
        'order.updated' => ['id_order', 'date_upd'],
        'order.tracking_updated' => ['id_order', 'id_order_carrier', 'tracking_number'],
        'order.payment_confirmed' => ['id_order'],
        'customer' => ['id_customer', 'date_upd'],
        'address' => ['id_address', 'id_customer', 'date_upd'],
        'product' => ['id_product', 'date_upd'],
        'combination' => ['id_product_attribute', 'id_product'],
        'stock.updated' => ['id_product', 'id_product_attribute', 'id_shop', 'quantity'],
        'order_return' => ['id_order_return', 'id_order', 'id_customer', 'state', 'date_upd', 'lines'],
    ];

    public function testInstallCreatesTheTablesTheSettingsAndTheHooks()
    {
        $tables = Db::getInstance()->executeS("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'ps_prestashopinfor%' ORDER BY name");
        $this->assertSame(['ps_prestashopinfor_outbox', 'ps_prestashopinfor_resource_version'], array_column($tables, 'name'));
        $this->assertSame(PrestashopInfor::HOOKS, $this->module->registeredHooks);
        $this->assertSame(implode(',', PrestashopInfor\EventTypes::ALL), Configuration::get(PrestashopInfor::CONFIG_EVENT_TYPES));
        $this->assertSame('7', Configuration::get(PrestashopInfor::CONFIG_PURGE_DAYS));
        $this->assertMatchesRegularExpression('/^[0-9a-f]{48}$/', Configuration::getGlobalValue(PrestashopInfor::CONFIG_CRON_TOKEN));
        foreach (['actionValidateOrder', 'actionValidateOrderAfter', 'actionOrderStatusPostUpdate', 'actionObjectOrderCarrierUpdateAfter',
                  'actionPaymentConfirmation', 'actionObjectCustomerUpdateAfter', 'actionObjectAddressAddAfter',
                  'actionObjectProductUpdateAfter', 'actionObjectCombinationUpdateAfter', 'actionUpdateQuantity', 'actionOrderSlipAdd',
                  'actionOrderReturn', 'actionObjectOrderReturnUpdateAfter'] as $hook) {
            $this->assertContains($hook, PrestashopInfor::HOOKS);
            $this->assertTrue(method_exists($this->module, 'hook' . ucfirst($hook)), $hook);
        }
        foreach (PrestashopInfor::HOOKS as $hook) {
            $this->assertTrue(method_exists($this->module, 'hook' . ucfirst($hook)), $hook);
        }
    }

    public function testUninstallDropsTheTablesAndTheSettings()
    {
        $this->recordOne();
        $this->assertTrue($this->module->uninstall());
        $tables = Db::getInstance()->executeS("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'ps_prestashopinfor%'");
        $this->assertSame([], $tables);
        foreach (PrestashopInfor::CONFIG_KEYS as $key) {
            $this->assertFalse(Configuration::get($key), $key);
        }
    }

    public function testEachHookRecordsItsEventAndOnlyThat()
    {
        $seen = [];
        foreach (ShopScenario::hookCalls() as list($hook, $params, $event)) {
            $before = count($this->outboxRows());
            $this->hook($hook, $params);
            $rows = $this->outboxRows();
            $this->assertCount($before + 1, $rows, $hook);
            $row = end($rows);
            $envelope = self::envelope($row);
            $this->assertSame($event, $row['event'], $hook);
            $this->assertSame($event, $envelope['event'], $hook);
            $this->assertSame($hook, $envelope['source_hook']);
            $this->assertSame(1, $envelope['contract_version']);
            $this->assertSame('2024-05-31T16:08:37Z', $envelope['occurred_at']);
            $this->assertSame(['id_shop' => 1, 'id_shop_group' => 1, 'url' => 'https://shop.example', 'ps_version' => '8.1.4'], $envelope['shop']);
            $this->assertMatchesRegularExpression('/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/', $envelope['id']);
            $this->assertSame($envelope['id'], $row['event_id']);
            $resource = $envelope['resource'];
            $this->assertSame($resource['type'], $row['resource_type']);
            $this->assertSame('https://shop.example/api/' . $resource['type'] . '/' . $resource['id'], $resource['href']);
            $family = isset(self::DATA[$event]) ? $event : explode('.', $event)[0];
            $this->assertSame(self::DATA[$family], array_keys($envelope['data']), $event);
            $this->assertSame(['pending', '0', (string) self::NOW, self::RECEIVER], [$row['status'], (string) $row['attempts'], (string) $row['next_attempt_at'], $row['receiver_url']]);
            $seen[] = $event;
        }
        $this->assertEqualsCanonicalizing(PrestashopInfor\EventTypes::ALL, array_unique($seen));
        $this->assertSame([], $this->http->requests, 'a hook never calls the network');
    }

    public function testTheEnvelopeOfANewOrderAsTheContractShowsIt()
    {
        $this->hook('actionValidateOrder', ['order' => new Order(5)]);
        $rows = $this->outboxRows();
        $envelope = self::envelope($rows[0]);
        $this->assertSame([
            'id' => $rows[0]['event_id'],
            'event' => 'order.created',
            'contract_version' => 1,
            'occurred_at' => '2024-05-31T16:08:37Z',
            'shop' => ['id_shop' => 1, 'id_shop_group' => 1, 'url' => 'https://shop.example', 'ps_version' => '8.1.4'],
            'source_hook' => 'actionValidateOrder',
            'resource' => ['type' => 'orders', 'id' => 5, 'href' => 'https://shop.example/api/orders/5'],
            'resource_version' => 1,
            'data' => ['id_order' => 5, 'reference' => 'XKBKNABJK', 'id_customer' => 7, 'current_state' => 0,
                       'date_add' => '2024-05-31 18:08:37', 'date_upd' => '2024-05-31 18:08:37'],
        ], $envelope);
        $this->assertStringNotContainsString('\/', $rows[0]['envelope'], 'slashes are not escaped');
    }

    public function testStatusTrackingAndStockCarryTheirHints()
    {
        $this->hook('actionOrderStatusPostUpdate', ['newOrderStatus' => new OrderState(2), 'oldOrderStatus' => new OrderState(10), 'id_order' => 5]);
        $this->hook('actionObjectOrderCarrierUpdateAfter', ['object' => new OrderCarrier(3)]);
        $this->hook('actionUpdateQuantity', ['id_product' => 12, 'id_product_attribute' => 40, 'quantity' => 3, 'id_shop' => 1]);
        list($status, $tracking, $stock) = array_map([self::class, 'envelope'], $this->outboxRows());
        $this->assertSame(['id_order' => 5, 'old_state' => 10, 'new_state' => 2, 'date_upd' => '2024-05-31 18:08:37'], $status['data']);
        $this->assertSame(['type' => 'order_carriers', 'id' => 3, 'href' => 'https://shop.example/api/order_carriers/3'], $tracking['resource']);
        $this->assertSame(['id_order' => 5, 'id_order_carrier' => 3, 'tracking_number' => '1Z999AA10123456784'], $tracking['data']);
        $this->assertSame(['type' => 'stock_availables', 'id' => 77, 'href' => 'https://shop.example/api/stock_availables/77'], $stock['resource']);
        $this->assertSame(['id_product' => 12, 'id_product_attribute' => 40, 'id_shop' => 1, 'quantity' => 3], $stock['data']);
    }

    public function testAStockRowNotFoundLeavesTheResourceIdNull()
    {
        // PrestaShop 1.7.8 passes no id_shop: the request's shop
        $this->hook('actionUpdateQuantity', ['id_product' => 13, 'id_product_attribute' => 0, 'quantity' => 0]);
        $row = $this->outboxRows()[0];
        $this->assertSame(['type' => 'stock_availables', 'id' => null], self::envelope($row)['resource']);
        $this->assertNull($row['resource_id']);
        $this->assertSame('stock:13:0:1', $row['resource_key']);
    }

    public function testACustomersReturnCarriesItsLines()
    {
        // controllers/front/OrderFollowController.php: add(), addReturnDetail(), then the hook
        $this->hook('actionOrderReturn', ['orderReturn' => new OrderReturn(ShopScenario::ORDER_RETURN)]);
        $rows = $this->outboxRows();
        $this->assertCount(1, $rows);
        $envelope = self::envelope($rows[0]);
        $this->assertSame('order_return.created', $envelope['event']);
        $this->assertSame('actionOrderReturn', $envelope['source_hook']);
        $this->assertSame(['type' => 'order_returns', 'id' => 4, 'href' => 'https://shop.example/api/order_returns/4'], $envelope['resource']);
        $this->assertSame(1, $envelope['resource_version']);
        $this->assertSame(['id_shop' => 1, 'id_shop_group' => 1, 'url' => 'https://shop.example', 'ps_version' => '8.1.4'], $envelope['shop']);
        $this->assertSame([
            'id_order_return' => 4,
            'id_order' => 5,
            'id_customer' => 7,
            'state' => 1,
            'date_upd' => '2024-06-03 10:15:00',
            'lines' => [
                ['id_order_detail' => 21, 'product_quantity' => 1],
                ['id_order_detail' => 22, 'product_quantity' => 2],
            ],
        ], $envelope['data']);
        $this->assertSame(['order_returns', '4', 'order_returns:4'], [$rows[0]['resource_type'], (string) $rows[0]['resource_id'], $rows[0]['resource_key']]);
        // the database's strings are JSON integers in the body
        $this->assertStringContainsString('"state":1,', $rows[0]['envelope']);
        $this->assertStringContainsString('"lines":[{"id_order_detail":21,"product_quantity":1},{"id_order_detail":22,"product_quantity":2}]', $rows[0]['envelope']);
    }

    public function testAReturnsLinesSumTheirCustomizationsInOrderDetailOrder()
    {
        // one order_return_detail row per customization of a product line (classes/order/OrderReturn.php,
        // addReturnDetail), read back in no set order
        OrderReturn::saved(11, ['id_customer' => 7, 'id_order' => 5, 'state' => '1', 'question' => 'Wrong print',
            'date_add' => '2024-06-04 08:00:00', 'date_upd' => '2024-06-04 08:00:00']);
        OrderReturn::savedDetail(11, 31, 1, 5);
        OrderReturn::savedDetail(11, 30, 4);
        OrderReturn::savedDetail(11, 31, 2, 6);
        $this->hook('actionOrderReturn', ['orderReturn' => new OrderReturn(11)]);
        $this->assertSame([
            ['id_order_detail' => 30, 'product_quantity' => 4],
            ['id_order_detail' => 31, 'product_quantity' => 3],
        ], self::envelope($this->outboxRows()[0])['data']['lines']);
    }

    public function testAStateChangeInTheBackOfficeRecordsOrderReturnUpdated()
    {
        $this->hook('actionOrderReturn', ['orderReturn' => new OrderReturn(ShopScenario::ORDER_RETURN)]);
        // controllers/admin/AdminReturnController.php: the state from the form, then save() (update())
        $orderReturn = new OrderReturn(ShopScenario::ORDER_RETURN);
        $orderReturn->state = 2;
        $orderReturn->date_upd = '2024-06-05 14:30:00';
        $this->hook('actionObjectOrderReturnUpdateAfter', ['object' => $orderReturn]);
        list($created, $updated) = $this->outboxRows();
        $envelope = self::envelope($updated);
        $this->assertSame(['order_return.created', 'order_return.updated'], [$created['event'], $updated['event']]);
        $this->assertSame('actionObjectOrderReturnUpdateAfter', $envelope['source_hook']);
        $this->assertSame(['type' => 'order_returns', 'id' => 4, 'href' => 'https://shop.example/api/order_returns/4'], $envelope['resource']);
        $this->assertSame(2, $envelope['resource_version'], 'the versions of a return count on from its creation');
        $this->assertSame([
            'id_order_return' => 4,
            'id_order' => 5,
            'id_customer' => 7,
            'state' => 2,
            'date_upd' => '2024-06-05 14:30:00',
            'lines' => [
                ['id_order_detail' => 21, 'product_quantity' => 1],
                ['id_order_detail' => 22, 'product_quantity' => 2],
            ],
        ], $envelope['data']);
    }

    public function testAReturnWithoutLinesIsStillRecorded()
    {
        OrderReturn::saved(12, ['id_customer' => 7, 'id_order' => 5, 'state' => '1', 'question' => 'Broken',
            'date_add' => '2024-06-04 08:00:00', 'date_upd' => '2024-06-04 08:00:00']);
        $this->hook('actionObjectOrderReturnUpdateAfter', ['object' => new OrderReturn(12)]);
        $row = $this->outboxRows()[0];
        $this->assertSame([], self::envelope($row)['data']['lines']);
        $this->assertStringContainsString('"lines":[]', $row['envelope']);
    }

    public function testAReturnNotSavedRecordsNothing()
    {
        $this->hook('actionOrderReturn', ['orderReturn' => new OrderReturn()]);
        $this->hook('actionOrderReturn', []);
        $this->hook('actionObjectOrderReturnUpdateAfter', ['object' => new OrderReturn(99)]);
        $this->assertSame([], $this->outboxRows());
    }

    public function testAReturnBelongsToItsOrdersShop()
    {
        Shop::$featureActive = true;
        Shop::$shops[2] = [2, 'second.example', '/fr/'];
        Shop::setContext(Shop::CONTEXT_SHOP, 2);
        Configuration::updateValue(PrestashopInfor::CONFIG_RECEIVER_URLS, 'https://second-pipeline.example/webhooks/prestashop');
        Shop::setContext(Shop::CONTEXT_SHOP, 1);
        Order::saved(8, ['id_shop' => 2, 'id_shop_group' => 2, 'id_customer' => 7, 'reference' => 'SECONDSHO',
            'current_state' => 5, 'date_add' => '2024-05-31 18:00:00', 'date_upd' => '2024-05-31 18:00:00']);
        OrderReturn::saved(13, ['id_customer' => 7, 'id_order' => 8, 'state' => '1', 'question' => 'Too big',
            'date_add' => '2024-06-04 08:00:00', 'date_upd' => '2024-06-04 08:00:00']);
        OrderReturn::savedDetail(13, 50, 1);

        $this->hook('actionOrderReturn', ['orderReturn' => new OrderReturn(13)]);
        $row = $this->outboxRows()[0];
        $envelope = self::envelope($row);
        $this->assertSame('https://second-pipeline.example/webhooks/prestashop', $row['receiver_url']);
        $this->assertSame(['id_shop' => 2, 'id_shop_group' => 2, 'url' => 'https://second.example/fr', 'ps_version' => '8.1.4'], $envelope['shop']);
        $this->assertSame('https://second.example/fr/api/order_returns/13', $envelope['resource']['href']);
    }

    public function testVersionsCountPerResourceAndSurviveThePurge()
    {
        $customer = new Customer(7);
        $this->hook('actionObjectCustomerUpdateAfter', ['object' => $customer]);
        $this->hook('actionObjectCustomerUpdateAfter', ['object' => $customer]);
        $this->hook('actionObjectProductUpdateAfter', ['object' => new Product(12)]);
        $this->assertSame([1, 2, 1], array_map(function ($row) {
            return self::envelope($row)['resource_version'];
        }, $this->outboxRows()));
        $this->dispatch();
        $this->clock->now += 8 * 86400;
        $this->assertSame(3, $this->module->runCron()['purged']);
        $this->hook('actionObjectCustomerUpdateAfter', ['object' => $customer]);
        $this->assertSame(3, self::envelope($this->outboxRows()[0])['resource_version']);
    }

    public function testEachReceiverGetsItsOwnRowOfTheSameEvent()
    {
        Configuration::updateValue(PrestashopInfor::CONFIG_RECEIVER_URLS, self::RECEIVER . ' https://backup.example/webhooks/prestashop');
        $this->recordOne();
        $rows = $this->outboxRows();
        $this->assertSame([self::RECEIVER, 'https://backup.example/webhooks/prestashop'], array_column($rows, 'receiver_url'));
        $this->assertSame($rows[0]['event_id'], $rows[1]['event_id']);
        $this->assertSame($rows[0]['envelope'], $rows[1]['envelope']);
    }

    public function testUntickedTypesAndAShopWithoutReceiverRecordNothing()
    {
        Configuration::updateValue(PrestashopInfor::CONFIG_EVENT_TYPES, 'order.created,stock.updated');
        $this->hook('actionObjectCustomerUpdateAfter', ['object' => new Customer(7)]);
        $this->assertSame([], $this->outboxRows());
        $this->hook('actionValidateOrder', ['order' => new Order(5)]);
        $this->assertCount(1, $this->outboxRows());
        Configuration::updateValue(PrestashopInfor::CONFIG_RECEIVER_URLS, '');
        $this->hook('actionValidateOrder', ['order' => new Order(6)]);
        $this->assertCount(1, $this->outboxRows());
    }

    public function testASplitCartRecordsEachOrderOnce()
    {
        // classes/PaymentModule.php: actionValidateOrder for each order, then actionValidateOrderAfter (8.0+) for all
        $orders = [new Order(5), new Order(6)];
        foreach ($orders as $order) {
            $this->hook('actionValidateOrder', ['order' => $order]);
        }
        $this->hook('actionValidateOrderAfter', ['order' => $orders[1], 'orders' => $orders]);
        $rows = $this->outboxRows();
        $this->assertSame(['orders:5', 'orders:6'], array_column($rows, 'resource_key'));
        $this->assertSame(['order.created', 'order.created'], array_column($rows, 'event'));
    }

    public function testActionValidateOrderAfterRecordsAnOrderThatHasNoEventYet()
    {
        $orders = [new Order(5), new Order(6)];
        $this->hook('actionValidateOrder', ['order' => $orders[0]]);
        $this->hook('actionValidateOrderAfter', ['orders' => $orders]);
        $rows = $this->outboxRows();
        $this->assertSame(['actionValidateOrder', 'actionValidateOrderAfter'], array_map(function ($row) {
            return self::envelope($row)['source_hook'];
        }, $rows));
    }

    public function testMultistoreEventsCarryTheirShopAndGoToItsReceiver()
    {
        Shop::$featureActive = true;
        Shop::$shops[2] = [2, 'second.example', '/fr/'];
        Shop::setContext(Shop::CONTEXT_SHOP, 2);
        Configuration::updateValue(PrestashopInfor::CONFIG_RECEIVER_URLS, 'https://second-pipeline.example/webhooks/prestashop');
        Shop::setContext(Shop::CONTEXT_SHOP, 1);
        Order::saved(8, ['id_shop' => 2, 'id_shop_group' => 2, 'id_customer' => 7, 'reference' => 'SECONDSHO',
            'current_state' => 0, 'date_add' => '2024-05-31 18:00:00', 'date_upd' => '2024-05-31 18:00:00']);

        $this->hook('actionValidateOrder', ['order' => new Order(8)]);
        $this->hook('actionValidateOrder', ['order' => new Order(5)]);
        list($second, $first) = $this->outboxRows();
        $this->assertSame(['2', '2', 'https://second-pipeline.example/webhooks/prestashop'], [(string) $second['id_shop'], (string) $second['id_shop_group'], $second['receiver_url']]);
        $this->assertSame(['id_shop' => 2, 'id_shop_group' => 2, 'url' => 'https://second.example/fr', 'ps_version' => '8.1.4'], self::envelope($second)['shop']);
        $this->assertSame(['1', '1', self::RECEIVER], [(string) $first['id_shop'], (string) $first['id_shop_group'], $first['receiver_url']]);
    }

    public function testAFailingOutboxNeverBreaksTheShopsRequest()
    {
        Db::getInstance()->execute('DROP TABLE `ps_prestashopinfor_outbox`');
        $this->assertNull($this->module->record('customer.updated', 'actionObjectCustomerUpdateAfter', $this->module->shop(), 'customers', 7, ['id_customer' => 7]));
        $this->hook('actionValidateOrder', ['order' => new Order(5)]);
        $this->assertCount(2, PrestaShopLogger::$messages);
        $this->assertStringContainsString('order.created not recorded', PrestaShopLogger::$messages[1][1]);
    }
}
