<?php
/**
 * The module's side of the cross-language tests (prestashop_infor_tests/test_prestashop_module.py),
 * run with the PrestaShop stand-ins of tests/stubs:
 *
 *   php events.php sign SECRET NOW
 *       Calls every hook of tests/support/ShopScenario.php, sends the outbox through a recording
 *       sender at NOW (Unix seconds), then the back office's test event; prints the requests, as
 *       JSON: [{"url", "headers", "body_base64"}].
 *   php events.php deliver SECRET RECEIVER_URL curl|stream
 *       The same events, sent for real to RECEIVER_URL with the module's curl or stream sender at
 *       the current time; prints the dispatcher's outcomes as JSON, then those of a second run.
 *   php events.php verify
 *       Reads {"body_base64", "signature", "timestamp", "secrets", "now"} on stdin and prints
 *       {"valid": true|false}, as the module's Signature::verify decides.
 */
require_once dirname(__DIR__) . '/stubs/bootstrap.php';
require_once dirname(__DIR__, 2) . '/prestashopinfor/prestashopinfor.php';
require_once dirname(__DIR__) . '/support/FakeHttpSender.php';
require_once dirname(__DIR__) . '/support/TestClock.php';
require_once dirname(__DIR__) . '/support/ShopScenario.php';

use PrestashopInfor\Http\CurlHttpSender;
use PrestashopInfor\Http\StreamHttpSender;
use PrestashopInfor\Signature;

const RECORDING_URL = 'https://pipeline.example/webhooks/prestashop';

/** A shop with the module installed, the receiver and secret set, every hook called once. */
function shop_with_events(string $secret, string $receiverUrl, callable $clock): PrestashopInfor
{
    prestashop_stubs_reset();
    ShopScenario::seed();
    $module = new PrestashopInfor();
    $module->clock = $clock;
    if (!$module->install()) {
        fwrite(STDERR, "install failed\n");
        exit(1);
    }
    Configuration::updateValue(PrestashopInfor::CONFIG_RECEIVER_URLS, $receiverUrl);
    Configuration::updateValue(PrestashopInfor::CONFIG_SECRET, $secret);
    foreach (ShopScenario::hookCalls() as list($hook, $params)) {
        ShopScenario::call($module, $hook, $params);
    }

    return $module;
}

$mode = $argv[1] ?? '';
if ($mode === 'sign' && count($argv) === 4) {
    $module = shop_with_events($argv[2], RECORDING_URL, new TestClock((int) $argv[3]));
    $module->httpSender = new FakeHttpSender();
    $module->dispatcher()->dispatch(100, 50);
    Tools::$values = ['submitPrestashopinforTestEvent' => '1'];
    $module->getContent();
    $requests = [];
    foreach ($module->httpSender->requests as $request) {
        $requests[] = ['url' => $request['url'], 'headers' => $request['headers'], 'body_base64' => base64_encode($request['body'])];
    }
    echo json_encode($requests, JSON_UNESCAPED_SLASHES), "\n";
} elseif ($mode === 'deliver' && count($argv) === 5) {
    $module = shop_with_events($argv[2], $argv[3], 'time');
    $module->httpSender = $argv[4] === 'curl' ? new CurlHttpSender() : new StreamHttpSender();
    $first = $module->dispatcher()->dispatch(100, 50);
    $second = $module->dispatcher()->dispatch(100, 50);
    $statuses = array_column(Db::getInstance()->executeS('SELECT `status` FROM `ps_prestashopinfor_outbox`'), 'status');
    echo json_encode(['first' => $first, 'second' => $second, 'statuses' => $statuses]), "\n";
} elseif ($mode === 'verify' && count($argv) === 2) {
    $vector = json_decode(stream_get_contents(STDIN), true);
    $valid = Signature::verify(base64_decode($vector['body_base64']), $vector['signature'], $vector['timestamp'], $vector['secrets'], (int) $vector['now']);
    echo json_encode(['valid' => $valid]), "\n";
} else {
    fwrite(STDERR, "usage: php events.php sign SECRET NOW | deliver SECRET RECEIVER_URL curl|stream | verify\n");
    exit(2);
}
