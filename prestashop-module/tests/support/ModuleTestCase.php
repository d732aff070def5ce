<?php

use PHPUnit\Framework\TestCase;

/**
 * A shop with the module installed, one receiver URL and its secret, the clock at NOW and a fake HTTP
 * sender: nothing leaves the process.
 */
abstract class ModuleTestCase extends TestCase
{
    const SECRET = 'whsec_0123456789abcdef0123456789abcdef';
    const RECEIVER = 'https://pipeline.example/webhooks/prestashop';
    /** 2024-05-31T16:08:37Z */
    const NOW = 1717171717;

    /** @var PrestashopInfor */
    protected $module;
    /** @var TestClock */
    protected $clock;
    /** @var FakeHttpSender */
    protected $http;

    protected function setUp(): void
    {
        prestashop_stubs_reset();
        ShopScenario::seed();
        $this->module = new PrestashopInfor();
        $this->clock = new TestClock(self::NOW);
        $this->module->clock = $this->clock;
        $this->http = new FakeHttpSender();
        $this->module->httpSender = $this->http;
        $this->assertTrue($this->module->install());
        Configuration::updateValue(PrestashopInfor::CONFIG_RECEIVER_URLS, self::RECEIVER);
        Configuration::updateValue(PrestashopInfor::CONFIG_SECRET, self::SECRET);
    }

    protected function hook(string $hook, array $params)
    {
        return ShopScenario::call($this->module, $hook, $params);
    }

    /** Records one customer.updated and returns its outbox row. */
    protected function recordOne(): array
    {
        $this->hook('actionObjectCustomerUpdateAfter', ['object' => new Customer(ShopScenario::CUSTOMER)]);
        $rows = $this->outboxRows();

        return end($rows);
    }

    protected function outboxRows(): array
    {
        return Db::getInstance()->executeS('SELECT * FROM `ps_prestashopinfor_outbox` ORDER BY `id_outbox`');
    }

    protected function row(int $id): array
    {
        return Db::getInstance()->getRow('SELECT * FROM `ps_prestashopinfor_outbox` WHERE `id_outbox` = ' . $id);
    }

    protected static function envelope(array $row): array
    {
        return json_decode($row['envelope'], true);
    }

    protected function dispatch(int $maxEvents = 100, int $seconds = 50): array
    {
        return $this->module->dispatcher()->dispatch($maxEvents, $seconds);
    }
}
