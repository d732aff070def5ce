<?php
/**
 * The module in a shop's checkout, for the end-to-end test
 * (prestashop_infor_tests/test_prestashop_module.py, test_a_shop_order_reaches_m3_...):
 *
 *   php relay.php SECRET RECEIVER_URL < orders.json
 *
 * orders.json is a list of orders as the sandbox shop's Webservice shows them (id, id_shop,
 * id_shop_group, id_customer, reference, current_state, date_add, date_upd). For each, the hooks
 * PrestaShop calls when a customer checks out run on the installed module with the parameters
 * classes/PaymentModule.php::validateOrder passes (actionValidateOrder, then
 * actionOrderStatusPostUpdate from classes/order/OrderHistory.php::changeIdOrderState for the
 * order's first state); then the module's dispatcher sends the outbox to RECEIVER_URL with its curl
 * sender, as the request's end would. Prints the dispatcher's outcomes and the outbox's statuses as
 * JSON.
 */
require_once dirname(__DIR__) . '/stubs/bootstrap.php';
require_once dirname(__DIR__, 2) . '/prestashopinfor/prestashopinfor.php';

use PrestashopInfor\Http\CurlHttpSender;

if (count($argv) !== 3) {
    fwrite(STDERR, "usage: php relay.php SECRET RECEIVER_URL < orders.json\n");
    exit(2);
}
$orders = json_decode(stream_get_contents(STDIN), true);
if (!is_array($orders)) {
    fwrite(STDERR, "stdin: a JSON list of orders\n");
    exit(2);
}

prestashop_stubs_reset();
$module = new PrestashopInfor();
if (!$module->install()) {
    fwrite(STDERR, "install failed\n");
    exit(1);
}
Configuration::updateValue(PrestashopInfor::CONFIG_RECEIVER_URLS, $argv[2]);
Configuration::updateValue(PrestashopInfor::CONFIG_SECRET, $argv[1]);
$module->httpSender = new CurlHttpSender();

foreach ($orders as $fields) {
    $state = (int) $fields['current_state'];
    OrderState::saved($state, ['paid' => 0]);
    $order = Order::saved((int) $fields['id'], [
        'id_shop' => (int) $fields['id_shop'], 'id_shop_group' => (int) $fields['id_shop_group'],
        'id_customer' => (int) $fields['id_customer'], 'reference' => (string) $fields['reference'],
        'current_state' => $state, 'date_add' => (string) $fields['date_add'], 'date_upd' => (string) $fields['date_upd'],
    ]);
    $customer = Customer::saved((int) $fields['id_customer'], ['id_shop' => 1, 'id_shop_group' => 1, 'date_upd' => (string) $fields['date_add']]);
    $module->hookActionValidateOrder(['cart' => null, 'order' => $order, 'customer' => $customer, 'currency' => null, 'orderStatus' => new OrderState($state)]);
    $module->hookActionOrderStatusPostUpdate(['newOrderStatus' => new OrderState($state), 'oldOrderStatus' => null, 'id_order' => (int) $fields['id']]);
}

$outcomes = $module->dispatcher()->dispatch(100, 50);
$statuses = Db::getInstance()->executeS('SELECT `event`, `status` FROM `ps_prestashopinfor_outbox` ORDER BY `id_outbox`');
echo json_encode(['outcomes' => $outcomes, 'statuses' => $statuses]), "\n";
