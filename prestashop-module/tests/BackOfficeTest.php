<?php

use PrestashopInfor\Command\DispatchCommand;
use PrestashopInfor\Signature;
use Symfony\Component\Console\Input\InputInterface;
use Symfony\Component\Console\Output\OutputInterface;

/** The configuration page, the test event, the cron front controller and the console command. */
final class BackOfficeTest extends ModuleTestCase
{
    public function testSavingTheSettingsShowsTheSecretMasked()
    {
        Configuration::$values = [];
        $secret = str_repeat('a1b2', 15) . 'f00d';
        Tools::$values = [
            'submitPrestashopinforSettings' => '1',
            PrestashopInfor::CONFIG_RECEIVER_URLS => "https://pipeline.example/webhooks/prestashop\r\nhttp://127.0.0.1:8090/webhooks/prestashop\n",
            PrestashopInfor::CONFIG_SECRET => $secret,
            PrestashopInfor::CONFIG_EVENT_TYPES => ['order.created', 'stock.updated', 'not.an_event'],
            PrestashopInfor::CONFIG_PURGE_DAYS => '14',
        ];
        $page = $this->module->getContent();
        $this->assertStringContainsString('Settings saved.', $page);
        $this->assertSame('https://pipeline.example/webhooks/prestashop http://127.0.0.1:8090/webhooks/prestashop', Configuration::get(PrestashopInfor::CONFIG_RECEIVER_URLS));
        $this->assertSame(['https://pipeline.example/webhooks/prestashop', 'http://127.0.0.1:8090/webhooks/prestashop'], $this->module->receiverUrls($this->module->shop()));
        $this->assertSame($secret, Configuration::get(PrestashopInfor::CONFIG_SECRET));
        $this->assertSame('order.created,stock.updated', Configuration::get(PrestashopInfor::CONFIG_EVENT_TYPES));
        $this->assertSame('14', Configuration::getGlobalValue(PrestashopInfor::CONFIG_PURGE_DAYS));

        Tools::$values = [];
        $page = $this->module->getContent();
        $this->assertStringNotContainsString($secret, $page, 'the secret is never shown');
        $this->assertStringNotContainsString(substr($secret, 0, 8), $page);
        $this->assertStringContainsString('Saved: ****f00d', $page);
        $this->assertStringContainsString('value="order.created" checked', $page);
        $this->assertStringContainsString('value="customer.updated">', $page);
    }

    public function testAnEmptySecretKeepsTheSavedOneAndBadValuesSaveNothing()
    {
        Tools::$values = ['submitPrestashopinforSettings' => '1', PrestashopInfor::CONFIG_RECEIVER_URLS => self::RECEIVER,
                          PrestashopInfor::CONFIG_SECRET => '', PrestashopInfor::CONFIG_EVENT_TYPES => ['order.created']];
        $this->assertStringContainsString('Settings saved.', $this->module->getContent());
        $this->assertSame(self::SECRET, Configuration::get(PrestashopInfor::CONFIG_SECRET));

        foreach ([
            [PrestashopInfor::CONFIG_RECEIVER_URLS => 'file:///etc/passwd', 'error' => 'is not an http:// or https:// URL'],
            [PrestashopInfor::CONFIG_SECRET => 'too-short', 'error' => 'at least 32 characters'],
            [PrestashopInfor::CONFIG_SECRET => str_repeat('<', 40), 'error' => 'at least 32 characters'],
            [PrestashopInfor::CONFIG_PURGE_DAYS => '0', 'error' => 'between 1 and 365 days'],
        ] as $case) {
            $error = $case['error'];
            unset($case['error']);
            Tools::$values = $case + ['submitPrestashopinforSettings' => '1', PrestashopInfor::CONFIG_RECEIVER_URLS => 'https://other.example/'];
            $this->assertStringContainsString($error, $this->module->getContent());
            $this->assertSame(self::RECEIVER, Configuration::get(PrestashopInfor::CONFIG_RECEIVER_URLS));
            $this->assertSame(self::SECRET, Configuration::get(PrestashopInfor::CONFIG_SECRET));
        }
    }

    public function testARotationKeepsTheOldSecretUntilItIsEnded()
    {
        $new = str_repeat('9', 64);
        Tools::$values = ['submitPrestashopinforSettings' => '1', PrestashopInfor::CONFIG_RECEIVER_URLS => self::RECEIVER,
                          PrestashopInfor::CONFIG_SECRET => $new, 'PRESTASHOPINFOR_KEEP_PREVIOUS_SECRET' => '1'];
        $this->module->getContent();
        $this->assertSame([$new, self::SECRET], $this->module->secretsFor(1, 1));
        Tools::$values = [];
        $this->assertStringContainsString('Also signing with the previous secret ****cdef', $this->module->getContent());
        Tools::$values = ['submitPrestashopinforSettings' => '1', PrestashopInfor::CONFIG_RECEIVER_URLS => self::RECEIVER,
                          'PRESTASHOPINFOR_FORGET_PREVIOUS_SECRET' => '1'];
        $this->module->getContent();
        $this->assertSame([$new], $this->module->secretsFor(1, 1));
    }

    public function testTheTestEventIsASignedPingToEachReceiverShownWithItsAnswer()
    {
        Configuration::updateValue(PrestashopInfor::CONFIG_RECEIVER_URLS, self::RECEIVER . ' https://down.example/hook');
        $this->http->answer(202)->answer(null, 'Failed to connect to down.example port 443: Connection refused');
        Tools::$values = ['submitPrestashopinforTestEvent' => '1'];
        $page = $this->module->getContent();

        $this->assertCount(2, $this->http->requests);
        $request = $this->http->requests[0];
        $envelope = json_decode($request['body'], true);
        $this->assertSame('test.ping', $envelope['event']);
        $this->assertSame('test.ping', $request['headers']['X-PS-Webhook-Event']);
        $this->assertSame(['type' => 'shops', 'id' => 1, 'href' => 'https://shop.example/api/shops/1'], $envelope['resource']);
        $this->assertTrue(Signature::verify($request['body'], $request['headers']['X-PS-Webhook-Signature'], $request['headers']['X-PS-Webhook-Timestamp'], [self::SECRET], self::NOW));
        $this->assertStringContainsString(self::RECEIVER . ': accepted (HTTP 202)', $page);
        $this->assertStringContainsString('https://down.example/hook: no answer: Failed to connect', $page);
        $this->assertStringContainsString('alert-danger', $page);
        $this->assertSame([], $this->outboxRows(), 'the test event does not go through the outbox');
    }

    public function testThePageShowsTheOutboxState()
    {
        $this->recordOne();
        $this->http->answer(400, '', '{"error":"unknown shop https://shop.example"}');
        $this->dispatch();
        $this->recordOne();
        $this->clock->now += 180;
        $page = $this->module->getContent();
        $this->assertMatchesRegularExpression('#<th>Pending</th><td>1</td>#', $page);
        $this->assertMatchesRegularExpression('#<th>Oldest pending event</th><td>3 min</td>#', $page);
        $this->assertMatchesRegularExpression('#<th>Refused \(not sent again\)</th><td>1</td>#', $page);
        $this->assertStringContainsString('customer.updated → ' . self::RECEIVER . ': HTTP 400: {&quot;error&quot;:&quot;unknown shop https://shop.example&quot;} (3 min ago)', $page);
        $token = Configuration::getGlobalValue(PrestashopInfor::CONFIG_CRON_TOKEN);
        $this->assertStringContainsString('controller=cron&amp;token=' . $token, $page);
    }

    public function testTheCronNeedsItsTokenThenSendsAndPurges()
    {
        $this->recordOne();
        foreach ([null, '', 'wrong', ['array']] as $token) {
            Tools::$values = ['module' => 'prestashopinfor', 'token' => $token];
            $controller = new PrestashopinforCronModuleFrontController();
            $controller->postProcess();
            $this->assertSame(403, http_response_code());
            $this->assertSame([], $this->http->requests);
        }
        Tools::$values = ['module' => 'prestashopinfor', 'token' => Configuration::getGlobalValue(PrestashopInfor::CONFIG_CRON_TOKEN)];
        $controller = new PrestashopinforCronModuleFrontController();
        $this->assertTrue($controller->ajax);
        $controller->postProcess();
        ob_start();
        $controller->displayAjax();
        $this->assertSame('{"delivered":1,"retry":0,"refused":0,"postponed":0,"purged":0}', ob_get_clean());
    }

    public function testTheConsoleCommandRunsTheDispatcher()
    {
        $this->recordOne();
        $command = new DispatchCommand();
        $this->assertSame('prestashopinfor:dispatch', $command->getName());
        $output = new class implements OutputInterface {
            public $lines = [];

            public function writeln($messages, int $options = 0)
            {
                $this->lines[] = $messages;
            }
        };
        $input = new class implements InputInterface {
        };
        $this->assertSame(0, $command->run($input, $output));
        $this->assertSame(['{"delivered":1,"retry":0,"refused":0,"postponed":0,"purged":0}'], $output->lines);

        $this->module->uninstall();
        $this->assertSame(1, $command->run($input, $output));
        $this->assertStringContainsString('not installed', $output->lines[1]);
    }
}
