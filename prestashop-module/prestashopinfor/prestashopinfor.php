<?php
/**
 * PrestaShop → Infor M3: sends the shop's changes to the pipeline's webhook receiver as the signed
 * events of its contract (shared/contracts/webhooks.md, v1).
 *
 * The hooks below only write to the module's outbox table, inside the shop's request; nothing is
 * sent from there. Events leave from the Dispatcher: right after the response when PHP-FPM can
 * finish the request first (fastcgi_finish_request), from the cron front controller
 * (controllers/front/cron.php) and from the console command (src/Command/DispatchCommand.php).
 * README.md, beside this module's folder, tells how to set it up.
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

require_once __DIR__ . '/vendor/autoload.php';

use PrestashopInfor\Dispatcher;
use PrestashopInfor\Envelope;
use PrestashopInfor\EventTypes;
use PrestashopInfor\Http\Senders;
use PrestashopInfor\Outbox;

class PrestashopInfor extends Module
{
    const CONFIG_RECEIVER_URLS = 'PRESTASHOPINFOR_RECEIVER_URLS';
    const CONFIG_SECRET = 'PRESTASHOPINFOR_SECRET';
    const CONFIG_PREVIOUS_SECRET = 'PRESTASHOPINFOR_PREVIOUS_SECRET';
    const CONFIG_EVENT_TYPES = 'PRESTASHOPINFOR_EVENT_TYPES';
    const CONFIG_PURGE_DAYS = 'PRESTASHOPINFOR_PURGE_DAYS';
    const CONFIG_CRON_TOKEN = 'PRESTASHOPINFOR_CRON_TOKEN';
    const CONFIG_KEYS = [
        self::CONFIG_RECEIVER_URLS,
        self::CONFIG_SECRET,
        self::CONFIG_PREVIOUS_SECRET,
        self::CONFIG_EVENT_TYPES,
        self::CONFIG_PURGE_DAYS,
        self::CONFIG_CRON_TOKEN,
    ];

    /** The receiver refuses shorter secrets (prestashop-infor webhooks serve; webhooks.md §5). */
    const MIN_SECRET_LENGTH = 32;
    const DEFAULT_PURGE_DAYS = 7;

    /** At most this many events, started within this many seconds, after a shop request. */
    const AFTER_RESPONSE_EVENTS = 10;
    const AFTER_RESPONSE_SECONDS = 6;
    /** The same for one run of the cron or of the console command. */
    const CRON_EVENTS = 200;
    const CRON_SECONDS = 50;

    /**
     * The hooks, each turned into one event of the contract (webhooks.md §6).
     *
     * Order tracking comes from actionObjectOrderCarrierUpdateAfter only: it fires for every save of
     * an OrderCarrier, including the back office's (which then also fires
     * actionAdminOrdersTrackingNumberUpdate: both would send the same change twice), the Webservice's
     * and carrier modules'. Payments come from actionPaymentConfirmation, as the contract names it.
     *
     * A customer's merchandise return comes from actionOrderReturn, not actionObjectOrderReturnAddAfter:
     * OrderReturn::add() fires the latter before the return's lines are saved (addReturnDetail), and
     * the event carries the lines (the Webservice never shows them).
     */
    const HOOKS = [
        'actionValidateOrder',
        'actionValidateOrderAfter',
        'actionOrderStatusPostUpdate',
        'actionObjectOrderCarrierUpdateAfter',
        'actionPaymentConfirmation',
        'actionOrderSlipAdd',
        'actionObjectCustomerAddAfter',
        'actionObjectCustomerUpdateAfter',
        'actionObjectCustomerDeleteAfter',
        'actionObjectAddressAddAfter',
        'actionObjectAddressUpdateAfter',
        'actionObjectAddressDeleteAfter',
        'actionObjectProductAddAfter',
        'actionObjectProductUpdateAfter',
        'actionObjectProductDeleteAfter',
        'actionObjectCombinationAddAfter',
        'actionObjectCombinationUpdateAfter',
        'actionObjectCombinationDeleteAfter',
        'actionUpdateQuantity',
        'actionOrderReturn',
        'actionObjectOrderReturnUpdateAfter',
    ];

    /** @var callable (): int the time, in Unix seconds (tests set their own) */
    public $clock = 'time';
    /** @var \PrestashopInfor\Http\HttpSender|null null: curl, else PHP's stream wrapper */
    public $httpSender;
    /** @var bool */
    private $dispatchAfterResponseRegistered = false;

    public function __construct()
    {
        $this->name = 'prestashopinfor';
        $this->tab = 'administration';
        $this->version = '1.0.0';
        $this->author = 'prestashop-infor';
        $this->need_instance = 0;
        $this->ps_versions_compliancy = ['min' => '1.7.8.0', 'max' => '9.99.99'];
        $this->bootstrap = true;

        parent::__construct();

        $this->displayName = $this->l('PrestaShop to Infor M3 webhooks');
        $this->description = $this->l('Sends orders, merchandise returns, customers, addresses, products, combinations and stock changes to the Infor M3 integration as signed webhooks, from an outbox, with retries.');
        $this->confirmUninstall = $this->l('The events still in the outbox will never be sent. Uninstall?');
    }

    // -- install ---------------------------------------------------------------------------------

    public function install()
    {
        if (Shop::isFeatureActive()) {
            Shop::setContext(Shop::CONTEXT_ALL); // the defaults below are the whole installation's
        }

        return parent::install()
            && $this->outbox()->install(_MYSQL_ENGINE_)
            && Configuration::updateValue(self::CONFIG_RECEIVER_URLS, '')
            && Configuration::updateValue(self::CONFIG_SECRET, '')
            && Configuration::updateValue(self::CONFIG_PREVIOUS_SECRET, '')
            && Configuration::updateValue(self::CONFIG_EVENT_TYPES, implode(',', EventTypes::ALL))
            && Configuration::updateValue(self::CONFIG_PURGE_DAYS, self::DEFAULT_PURGE_DAYS)
            && Configuration::updateGlobalValue(self::CONFIG_CRON_TOKEN, bin2hex(random_bytes(24)))
            && $this->registerHook(self::HOOKS);
    }

    public function uninstall()
    {
        if (!parent::uninstall() || !$this->outbox()->uninstall()) {
            return false;
        }
        foreach (self::CONFIG_KEYS as $key) {
            Configuration::deleteByName($key);
        }

        return true;
    }

    // -- hooks: each only records an event in the outbox -------------------------------------------

    /**
     * classes/PaymentModule.php, validateOrder(): called once for each order of the cart (a cart
     * split by carrier or address gives several), with 'cart', 'order', 'customer', 'currency',
     * 'orderStatus'. It runs before the order's first state is recorded: current_state may be 0
     * (webhooks.md §6, notes).
     */
    public function hookActionValidateOrder($params)
    {
        if (isset($params['order']) && Validate::isLoadedObject($params['order'])) {
            $this->recordOrderCreated($params['order'], 'actionValidateOrder');
        }
    }

    /**
     * classes/PaymentModule.php, end of validateOrder(), PrestaShop 8.0 and later (added by
     * install-dev/upgrade/sql/8.0.0.sql; 1.7.8 never calls it): 'orders' lists every order of the
     * cart. Each one already has its order.created from actionValidateOrder; this records it for
     * any order of a split cart that has none (an override or payment module that skipped the hook).
     */
    public function hookActionValidateOrderAfter($params)
    {
        $orders = isset($params['orders']) && is_array($params['orders']) ? $params['orders'] : [];
        foreach ($orders as $order) {
            if (Validate::isLoadedObject($order)
                && !$this->outbox()->hasEvent(EventTypes::ORDER_CREATED, 'orders:' . (int) $order->id)) {
                $this->recordOrderCreated($order, 'actionValidateOrderAfter');
            }
        }
    }

    /**
     * classes/order/OrderHistory.php, changeIdOrderState(): 'newOrderStatus' and 'oldOrderStatus'
     * (OrderState objects), 'id_order'.
     */
    public function hookActionOrderStatusPostUpdate($params)
    {
        $order = new Order(isset($params['id_order']) ? (int) $params['id_order'] : 0);
        if (!Validate::isLoadedObject($order)) {
            return;
        }
        $old = isset($params['oldOrderStatus']) && is_object($params['oldOrderStatus']) ? (int) $params['oldOrderStatus']->id : 0;
        $new = isset($params['newOrderStatus']) && is_object($params['newOrderStatus']) ? (int) $params['newOrderStatus']->id : 0;
        $this->record(EventTypes::ORDER_STATUS_CHANGED, 'actionOrderStatusPostUpdate', $this->shopOf($order), 'orders', (int) $order->id, [
            'id_order' => (int) $order->id,
            'old_state' => $old,
            'new_state' => $new,
            'date_upd' => $this->dateUpd($order),
        ]);
    }

    /**
     * classes/ObjectModel.php, update(): 'object' (here an OrderCarrier, classes/order/OrderCarrier.php).
     * The tracking number set in the back office (src/Adapter/Order/CommandHandler/
     * UpdateOrderShippingDetailsHandler.php), through the Webservice or by a carrier module.
     */
    public function hookActionObjectOrderCarrierUpdateAfter($params)
    {
        $orderCarrier = isset($params['object']) ? $params['object'] : null;
        if (!Validate::isLoadedObject($orderCarrier)) {
            return;
        }
        $order = new Order((int) $orderCarrier->id_order);
        $this->record(EventTypes::ORDER_TRACKING_UPDATED, 'actionObjectOrderCarrierUpdateAfter', $this->shopOf($order), 'order_carriers', (int) $orderCarrier->id, [
            'id_order' => (int) $orderCarrier->id_order,
            'id_order_carrier' => (int) $orderCarrier->id,
            'tracking_number' => (string) $orderCarrier->tracking_number,
        ]);
    }

    /** classes/order/OrderHistory.php, changeIdOrderState(), for the payment states: 'id_order'. */
    public function hookActionPaymentConfirmation($params)
    {
        $order = new Order(isset($params['id_order']) ? (int) $params['id_order'] : 0);
        if (Validate::isLoadedObject($order)) {
            $this->record(EventTypes::ORDER_PAYMENT_CONFIRMED, 'actionPaymentConfirmation', $this->shopOf($order), 'orders', (int) $order->id, [
                'id_order' => (int) $order->id,
            ]);
        }
    }

    /**
     * A credit slip (a refund): 'order', 'productList', 'qtyList'
     * (src/Adapter/Order/Refund/OrderSlipCreator.php in 8 and 9). The contract has no slip event: the
     * order changed, and the receiver re-reads it (order.updated, as the emulator sends).
     */
    public function hookActionOrderSlipAdd($params)
    {
        $order = isset($params['order']) ? $params['order'] : null;
        if (Validate::isLoadedObject($order)) {
            $this->record(EventTypes::ORDER_UPDATED, 'actionOrderSlipAdd', $this->shopOf($order), 'orders', (int) $order->id, [
                'id_order' => (int) $order->id,
                'date_upd' => $this->dateUpd($order),
            ]);
        }
    }

    // classes/ObjectModel.php, add() / update() / delete(): 'object'.

    public function hookActionObjectCustomerAddAfter($params)
    {
        $this->recordCustomer(EventTypes::CUSTOMER_CREATED, 'actionObjectCustomerAddAfter', $params);
    }

    public function hookActionObjectCustomerUpdateAfter($params)
    {
        $this->recordCustomer(EventTypes::CUSTOMER_UPDATED, 'actionObjectCustomerUpdateAfter', $params);
    }

    public function hookActionObjectCustomerDeleteAfter($params)
    {
        $this->recordCustomer(EventTypes::CUSTOMER_DELETED, 'actionObjectCustomerDeleteAfter', $params);
    }

    public function hookActionObjectAddressAddAfter($params)
    {
        $this->recordAddress(EventTypes::ADDRESS_CREATED, 'actionObjectAddressAddAfter', $params);
    }

    public function hookActionObjectAddressUpdateAfter($params)
    {
        $this->recordAddress(EventTypes::ADDRESS_UPDATED, 'actionObjectAddressUpdateAfter', $params);
    }

    public function hookActionObjectAddressDeleteAfter($params)
    {
        $this->recordAddress(EventTypes::ADDRESS_DELETED, 'actionObjectAddressDeleteAfter', $params);
    }

    public function hookActionObjectProductAddAfter($params)
    {
        $this->recordProduct(EventTypes::PRODUCT_CREATED, 'actionObjectProductAddAfter', $params);
    }

    public function hookActionObjectProductUpdateAfter($params)
    {
        $this->recordProduct(EventTypes::PRODUCT_UPDATED, 'actionObjectProductUpdateAfter', $params);
    }

    public function hookActionObjectProductDeleteAfter($params)
    {
        $this->recordProduct(EventTypes::PRODUCT_DELETED, 'actionObjectProductDeleteAfter', $params);
    }

    public function hookActionObjectCombinationAddAfter($params)
    {
        $this->recordCombination(EventTypes::COMBINATION_CREATED, 'actionObjectCombinationAddAfter', $params);
    }

    public function hookActionObjectCombinationUpdateAfter($params)
    {
        $this->recordCombination(EventTypes::COMBINATION_UPDATED, 'actionObjectCombinationUpdateAfter', $params);
    }

    public function hookActionObjectCombinationDeleteAfter($params)
    {
        $this->recordCombination(EventTypes::COMBINATION_DELETED, 'actionObjectCombinationDeleteAfter', $params);
    }

    /**
     * classes/stock/StockAvailable.php (updateQuantity, setQuantity) and, in 8 and 9,
     * src/Adapter/Product/Stock/Update/ProductStockUpdater.php: 'id_product', 'id_product_attribute',
     * 'quantity', and 'delta_quantity' and 'id_shop' since 8.0. The resource is the stock_availables
     * row when it can be found, else null with the lookup keys in data (webhooks.md §4).
     */
    public function hookActionUpdateQuantity($params)
    {
        $idProduct = isset($params['id_product']) ? (int) $params['id_product'] : 0;
        $idProductAttribute = isset($params['id_product_attribute']) ? (int) $params['id_product_attribute'] : 0;
        if ($idProduct <= 0) {
            return;
        }
        $shop = $this->shop(isset($params['id_shop']) ? (int) $params['id_shop'] : 0);
        $idStockAvailable = (int) StockAvailable::getStockAvailableIdByProductId($idProduct, $idProductAttribute, $shop['id_shop']);
        $this->record(
            EventTypes::STOCK_UPDATED,
            'actionUpdateQuantity',
            $shop,
            'stock_availables',
            $idStockAvailable > 0 ? $idStockAvailable : null,
            [
                'id_product' => $idProduct,
                'id_product_attribute' => $idProductAttribute,
                'id_shop' => $shop['id_shop'],
                'quantity' => isset($params['quantity']) ? (int) $params['quantity'] : 0,
            ],
            'stock:' . $idProduct . ':' . $idProductAttribute . ':' . $shop['id_shop']
        );
    }

    /**
     * controllers/front/OrderFollowController.php, postProcess(): a customer's merchandise return,
     * 'orderReturn' (classes/order/OrderReturn.php), once it is saved (add(), state 1) and its lines
     * too (addReturnDetail()):
     *   Hook::exec('actionOrderReturn', ['orderReturn' => $orderReturn]);
     */
    public function hookActionOrderReturn($params)
    {
        $orderReturn = isset($params['orderReturn']) ? $params['orderReturn'] : null;
        $this->recordOrderReturn(EventTypes::ORDER_RETURN_CREATED, 'actionOrderReturn', $orderReturn);
    }

    /**
     * classes/ObjectModel.php, update(): 'object' (an OrderReturn). The merchant changing the return's
     * state in the back office: controllers/admin/AdminReturnController.php, postProcess()
     * ($orderReturn->save()), and the Symfony merchandise return page,
     * src/Adapter/OrderReturn/CommandHandler/UpdateOrderReturnStateHandler.php ($orderReturn->update()).
     * Deleting one line of a return (OrderReturn::deleteOrderReturnDetail) fires no hook.
     */
    public function hookActionObjectOrderReturnUpdateAfter($params)
    {
        $orderReturn = isset($params['object']) ? $params['object'] : null;
        $this->recordOrderReturn(EventTypes::ORDER_RETURN_UPDATED, 'actionObjectOrderReturnUpdateAfter', $orderReturn);
    }

    private function recordOrderCreated($order, string $hook)
    {
        $this->record(EventTypes::ORDER_CREATED, $hook, $this->shopOf($order), 'orders', (int) $order->id, [
            'id_order' => (int) $order->id,
            'reference' => (string) $order->reference,
            'id_customer' => (int) $order->id_customer,
            'current_state' => (int) $order->current_state,
            'date_add' => (string) $order->date_add,
            'date_upd' => $this->dateUpd($order),
        ]);
    }

    /** classes/Customer.php: a customer belongs to a shop (id_shop, id_shop_group). */
    private function recordCustomer(string $event, string $hook, $params)
    {
        $customer = isset($params['object']) ? $params['object'] : null;
        if (Validate::isLoadedObject($customer)) {
            $this->record($event, $hook, $this->shopOf($customer), 'customers', (int) $customer->id, [
                'id_customer' => (int) $customer->id,
                'date_upd' => $this->dateUpd($customer),
            ]);
        }
    }

    /** classes/Address.php: an address has no shop; the shop is the request's. */
    private function recordAddress(string $event, string $hook, $params)
    {
        $address = isset($params['object']) ? $params['object'] : null;
        if (Validate::isLoadedObject($address)) {
            $this->record($event, $hook, $this->shop(), 'addresses', (int) $address->id, [
                'id_address' => (int) $address->id,
                'id_customer' => (int) $address->id_customer,
                'date_upd' => $this->dateUpd($address),
            ]);
        }
    }

    /** classes/Product.php: a product is shared by shops; the shop is the request's. */
    private function recordProduct(string $event, string $hook, $params)
    {
        $product = isset($params['object']) ? $params['object'] : null;
        if (Validate::isLoadedObject($product)) {
            $this->record($event, $hook, $this->shop(), 'products', (int) $product->id, [
                'id_product' => (int) $product->id,
                'date_upd' => $this->dateUpd($product),
            ]);
        }
    }

    /** classes/Combination.php (the product_attribute table; Webservice resource "combinations"). */
    private function recordCombination(string $event, string $hook, $params)
    {
        $combination = isset($params['object']) ? $params['object'] : null;
        if (Validate::isLoadedObject($combination)) {
            $this->record($event, $hook, $this->shop(), 'combinations', (int) $combination->id, [
                'id_product_attribute' => (int) $combination->id,
                'id_product' => (int) $combination->id_product,
            ]);
        }
    }

    /**
     * classes/order/OrderReturn.php: a return has no shop of its own; the shop is its order's. Its
     * lines are read from the database (OrderReturn::getOrdersReturnDetail), as the hook's object does
     * not hold them. The Webservice resource is "order_returns".
     */
    private function recordOrderReturn(string $event, string $hook, $orderReturn)
    {
        if (!Validate::isLoadedObject($orderReturn)) {
            return;
        }
        $this->record($event, $hook, $this->shopOf(new Order((int) $orderReturn->id_order)), 'order_returns', (int) $orderReturn->id, [
            'id_order_return' => (int) $orderReturn->id,
            'id_order' => (int) $orderReturn->id_order,
            'id_customer' => (int) $orderReturn->id_customer,
            'state' => (int) $orderReturn->state,
            'date_upd' => $this->dateUpd($orderReturn),
            'lines' => self::orderReturnLines((int) $orderReturn->id),
        ]);
    }

    /**
     * The lines of a return: OrderReturn::getOrdersReturnDetail() gives the order_return_detail rows
     * (id_order_return, id_order_detail, id_customization, product_quantity; strings, in no set
     * order), one per customization of a product line. One line per id_order_detail, its quantities
     * summed, in id_order_detail order.
     */
    private static function orderReturnLines(int $idOrderReturn): array
    {
        $rows = OrderReturn::getOrdersReturnDetail($idOrderReturn);
        $quantities = [];
        foreach (is_array($rows) ? $rows : [] as $row) {
            $idOrderDetail = (int) $row['id_order_detail'];
            $quantities[$idOrderDetail] = (isset($quantities[$idOrderDetail]) ? $quantities[$idOrderDetail] : 0)
                + (int) $row['product_quantity'];
        }
        ksort($quantities);
        $lines = [];
        foreach ($quantities as $idOrderDetail => $quantity) {
            $lines[] = ['id_order_detail' => $idOrderDetail, 'product_quantity' => $quantity];
        }

        return $lines;
    }

    /**
     * Puts the event in the outbox for each receiver URL of the shop, when the shop sends this type;
     * returns the event id, or null when nothing was recorded. Never throws: a failure here must not
     * break the customer's checkout or the merchant's save (polling catches the change up, §1.5).
     */
    public function record(string $event, string $hook, array $shop, string $resourceType, $resourceId, array $data, $resourceKey = null)
    {
        try {
            if (!in_array($event, $this->eventTypes($shop), true)) {
                return null;
            }
            $urls = $this->receiverUrls($shop);
            if (!$urls) {
                return null;
            }
            $eventId = $this->outbox()->record(
                $event,
                $hook,
                $shop,
                $resourceType,
                $resourceId,
                $resourceKey !== null ? $resourceKey : $resourceType . ':' . (int) $resourceId,
                $data,
                $urls,
                $this->now()
            );
            $this->dispatchAfterResponse();

            return $eventId;
        } catch (Throwable $error) {
            PrestaShopLogger::addLog('prestashopinfor: ' . $event . ' not recorded: ' . $error->getMessage(), 3, null, 'Module', (int) $this->id, true);

            return null;
        }
    }

    // -- sending -------------------------------------------------------------------------------------

    /**
     * After a request that recorded events, once its response is sent, tries a few of them. Only
     * where PHP can end the response first (PHP-FPM's fastcgi_finish_request, LiteSpeed's
     * litespeed_finish_request): elsewhere, waiting for the receiver would slow the shop, and the
     * cron sends them.
     */
    private function dispatchAfterResponse()
    {
        if ($this->dispatchAfterResponseRegistered || PHP_SAPI === 'cli'
            || !(function_exists('fastcgi_finish_request') || function_exists('litespeed_finish_request'))) {
            return;
        }
        $this->dispatchAfterResponseRegistered = true;
        register_shutdown_function([$this, 'finishResponseThenDispatch']);
    }

    /** Shutdown function (see dispatchAfterResponse); public only so PHP can call it. */
    public function finishResponseThenDispatch()
    {
        ignore_user_abort(true);
        if (function_exists('fastcgi_finish_request')) {
            fastcgi_finish_request();
        } elseif (function_exists('litespeed_finish_request')) {
            litespeed_finish_request();
        }
        try {
            $this->dispatcher()->dispatch(self::AFTER_RESPONSE_EVENTS, self::AFTER_RESPONSE_SECONDS);
        } catch (Throwable $error) {
            PrestaShopLogger::addLog('prestashopinfor: dispatch after response failed: ' . $error->getMessage(), 2, null, 'Module', (int) $this->id, true);
        }
    }

    /**
     * One run of the cron front controller or the console command: sends what is due (bounded),
     * then deletes the events delivered more than the configured number of days ago.
     */
    public function runCron(): array
    {
        $outcomes = $this->dispatcher()->dispatch(self::CRON_EVENTS, self::CRON_SECONDS);
        $days = max(1, (int) Configuration::getGlobalValue(self::CONFIG_PURGE_DAYS) ?: self::DEFAULT_PURGE_DAYS);
        $outcomes['purged'] = $this->outbox()->purgeDelivered($this->now() - $days * 86400);

        return $outcomes;
    }

    /** The cron's token check, in constant time. */
    public function cronTokenIsValid($token): bool
    {
        $expected = (string) Configuration::getGlobalValue(self::CONFIG_CRON_TOKEN);

        return $expected !== '' && is_string($token) && hash_equals($expected, $token);
    }

    public function outbox(): Outbox
    {
        return new Outbox(Db::getInstance(), _DB_PREFIX_);
    }

    public function dispatcher(): Dispatcher
    {
        return new Dispatcher($this->outbox(), $this->http(), [$this, 'secretsFor'], $this->clock);
    }

    /** The secrets a shop signs with: the current one, then the one being retired (webhooks.md §5). */
    public function secretsFor(int $idShopGroup, int $idShop): array
    {
        $secrets = [];
        foreach ([self::CONFIG_SECRET, self::CONFIG_PREVIOUS_SECRET] as $key) {
            $secret = (string) Configuration::get($key, null, $idShopGroup, $idShop);
            if ($secret !== '') {
                $secrets[] = $secret;
            }
        }

        return $secrets;
    }

    /** The receiver URLs of a shop (stored one after the other, separated by spaces). */
    public function receiverUrls(array $shop): array
    {
        $value = (string) Configuration::get(self::CONFIG_RECEIVER_URLS, null, $shop['id_shop_group'], $shop['id_shop']);

        return self::parseUrls($value);
    }

    /** The event types a shop sends: all of them unless the back office unticked some. */
    public function eventTypes(array $shop): array
    {
        $value = Configuration::get(self::CONFIG_EVENT_TYPES, null, $shop['id_shop_group'], $shop['id_shop']);
        if ($value === false || $value === null) {
            return EventTypes::ALL;
        }

        return array_values(array_intersect(EventTypes::ALL, explode(',', (string) $value)));
    }

    /**
     * What the envelope says of a shop: id_shop and id_shop_group (multistore), its base URL (which
     * the receiver routes by), the PrestaShop version. `$idShop` 0: the request's shop.
     */
    public function shop(int $idShop = 0): array
    {
        $shop = Context::getContext()->shop;
        if ($idShop > 0 && (!$shop || (int) $shop->id !== $idShop)) {
            $shop = new Shop($idShop);
        }
        $url = $shop ? $shop->getBaseURL(true) : '';

        return [
            'id_shop' => $shop ? (int) $shop->id : 0,
            'id_shop_group' => $shop ? (int) $shop->id_shop_group : 0,
            'url' => rtrim((string) $url, '/'),
            'ps_version' => _PS_VERSION_,
        ];
    }

    /** The shop an order or a customer belongs to (both carry id_shop). */
    private function shopOf($object): array
    {
        return $this->shop(isset($object->id_shop) ? (int) $object->id_shop : 0);
    }

    /** An object's date_upd, verbatim (shop-local time, webhooks.md §4); now when it has none. */
    private function dateUpd($object): string
    {
        return !empty($object->date_upd) ? (string) $object->date_upd : date('Y-m-d H:i:s', $this->now());
    }

    private function http()
    {
        return $this->httpSender ?: Senders::best();
    }

    private function now(): int
    {
        return (int) call_user_func($this->clock);
    }

    private static function parseUrls(string $value): array
    {
        $urls = [];
        foreach (preg_split('/\s+/', trim($value)) as $url) {
            if ($url !== '' && Senders::isWebUrl($url) && !in_array($url, $urls, true)) {
                $urls[] = $url;
            }
        }

        return $urls;
    }

    // -- back office -------------------------------------------------------------------------------

    /** The configuration page: settings, the test event, the outbox's state. */
    public function getContent()
    {
        $output = '';
        if (Tools::isSubmit('submitPrestashopinforSettings')) {
            $output .= $this->saveSettings();
        } elseif (Tools::isSubmit('submitPrestashopinforTestEvent')) {
            $output .= $this->sendTestEvent();
        }

        return $output . $this->renderSettings() . $this->renderOutboxState();
    }

    /**
     * Saves the form for the back office's shop context: Configuration::updateValue stores a value for
     * the selected shop or group, or for all shops (classes/Configuration.php).
     */
    private function saveSettings(): string
    {
        $errors = [];
        $urls = [];
        foreach (preg_split('/\s+/', trim((string) Tools::getValue(self::CONFIG_RECEIVER_URLS, ''))) as $url) {
            if ($url === '') {
                continue;
            }
            if (!Senders::isWebUrl($url) || !Validate::isAbsoluteUrl($url)) {
                $errors[] = sprintf($this->l('"%s" is not an http:// or https:// URL.'), $url);
            } else {
                $urls[] = $url;
            }
        }
        $secret = trim((string) Tools::getValue(self::CONFIG_SECRET, ''));
        if ($secret !== '' && !preg_match('/^[A-Za-z0-9._~+\/=-]{' . self::MIN_SECRET_LENGTH . ',512}$/', $secret)) {
            $errors[] = sprintf($this->l('The secret must be at least %d characters: letters, digits and . _ ~ + / = - (for example 64 hexadecimal characters).'), self::MIN_SECRET_LENGTH);
        }
        $purgeDays = (int) Tools::getValue(self::CONFIG_PURGE_DAYS, self::DEFAULT_PURGE_DAYS);
        if ($purgeDays < 1 || $purgeDays > 365) {
            $errors[] = $this->l('Keep delivered events between 1 and 365 days.');
        }
        if ($errors) {
            return $this->displayError(implode('<br>', array_map('htmlspecialchars', $errors)));
        }
        $ticked = Tools::getValue(self::CONFIG_EVENT_TYPES, []);
        $eventTypes = array_values(array_intersect(EventTypes::ALL, is_array($ticked) ? $ticked : []));

        Configuration::updateValue(self::CONFIG_RECEIVER_URLS, implode(' ', $urls));
        Configuration::updateValue(self::CONFIG_EVENT_TYPES, implode(',', $eventTypes));
        Configuration::updateGlobalValue(self::CONFIG_PURGE_DAYS, $purgeDays);
        $current = (string) Configuration::get(self::CONFIG_SECRET);
        if ($secret !== '' && $secret !== $current) {
            // Rotation (webhooks.md §5): keep signing with the old secret too until the receiver drops it.
            $keepOld = Tools::getValue('PRESTASHOPINFOR_KEEP_PREVIOUS_SECRET') && $current !== '';
            Configuration::updateValue(self::CONFIG_PREVIOUS_SECRET, $keepOld ? $current : '');
            Configuration::updateValue(self::CONFIG_SECRET, $secret);
        } elseif (Tools::getValue('PRESTASHOPINFOR_FORGET_PREVIOUS_SECRET')) {
            Configuration::updateValue(self::CONFIG_PREVIOUS_SECRET, '');
        }

        return $this->displayConfirmation($this->l('Settings saved.'));
    }

    /**
     * Sends a signed test.ping to each receiver URL of the back office's shop, now, and shows each
     * answer. The contract has no test event; it lets senders add names, which receivers answer
     * with a 2xx and ignore (webhooks.md §4, §6).
     */
    private function sendTestEvent(): string
    {
        $shop = $this->shop();
        $urls = $this->receiverUrls($shop);
        $secrets = $this->secretsFor($shop['id_shop_group'], $shop['id_shop']);
        if (!$urls || !$secrets) {
            return $this->displayError($this->l('Save a receiver URL and a secret first.'));
        }
        $now = $this->now();
        $body = Envelope::encode(Envelope::build(
            Envelope::uuid4(),
            EventTypes::TEST_PING,
            $now,
            $shop,
            'getContent',
            'shops',
            $shop['id_shop'],
            0,
            ['message' => 'test event sent from the back office']
        ));
        $lines = [];
        $failed = false;
        foreach ($urls as $url) {
            $response = $this->http()->post($url, Dispatcher::headers($body, $secrets, $now, 1), $body, Dispatcher::TIMEOUT);
            $delivered = Dispatcher::outcome($response->status) === Dispatcher::DELIVERED;
            $failed = $failed || !$delivered;
            $lines[] = htmlspecialchars($url . ': ' . ($delivered ? $this->l('accepted') . ' (HTTP ' . $response->status . ')' : $response->describe()));
        }
        $message = $this->l('Test event') . ' ' . EventTypes::TEST_PING . ':<br>' . implode('<br>', $lines);

        return $failed ? $this->displayError($message) : $this->displayConfirmation($message);
    }

    private function renderSettings(): string
    {
        $action = $this->context->link->getAdminLink('AdminModules', true, [], ['configure' => $this->name]);
        $urls = implode("\n", self::parseUrls((string) Configuration::get(self::CONFIG_RECEIVER_URLS)));
        $secret = (string) Configuration::get(self::CONFIG_SECRET);
        $previous = (string) Configuration::get(self::CONFIG_PREVIOUS_SECRET);
        $eventTypes = Configuration::get(self::CONFIG_EVENT_TYPES);
        $ticked = $eventTypes === false ? EventTypes::ALL : explode(',', (string) $eventTypes);
        $purgeDays = (int) Configuration::getGlobalValue(self::CONFIG_PURGE_DAYS) ?: self::DEFAULT_PURGE_DAYS;

        $checkboxes = '';
        foreach (EventTypes::ALL as $type) {
            $checkboxes .= '<div class="checkbox"><label><input type="checkbox" name="' . self::CONFIG_EVENT_TYPES . '[]" value="'
                . self::html($type) . '"' . (in_array($type, $ticked, true) ? ' checked' : '') . '> ' . self::html($type) . '</label></div>';
        }
        $secretHelp = $secret === ''
            ? $this->l('Not set. The same secret as the receiver\'s WEBHOOK_SECRET, at least 32 characters.')
            : sprintf($this->l('Saved: %s. Leave empty to keep it.'), self::mask($secret));
        if ($previous !== '') {
            $secretHelp .= ' ' . sprintf($this->l('Also signing with the previous secret %s.'), self::mask($previous));
        }

        return '<form method="post" action="' . self::html($action) . '" class="form-horizontal">'
            . '<div class="panel"><div class="panel-heading">' . self::html($this->l('Webhooks to Infor M3')) . '</div>'
            . self::field($this->l('Receiver URLs'), '<textarea name="' . self::CONFIG_RECEIVER_URLS . '" rows="3">' . self::html($urls) . '</textarea>', $this->l('One per line, e.g. https://pipeline.example/webhooks/prestashop. Each gets every event.'))
            . self::field($this->l('Secret'), '<input type="password" autocomplete="new-password" name="' . self::CONFIG_SECRET . '" value="">', $secretHelp)
            . self::field('', '<div class="checkbox"><label><input type="checkbox" name="PRESTASHOPINFOR_KEEP_PREVIOUS_SECRET" value="1"> '
                . self::html($this->l('When changing the secret, keep signing with the old one too (rotation)')) . '</label></div>'
                . ($previous !== '' ? '<div class="checkbox"><label><input type="checkbox" name="PRESTASHOPINFOR_FORGET_PREVIOUS_SECRET" value="1"> '
                . self::html($this->l('End the rotation: stop signing with the previous secret')) . '</label></div>' : ''), '')
            . self::field($this->l('Events sent'), $checkboxes, '')
            . self::field($this->l('Keep delivered events (days)'), '<input type="number" min="1" max="365" name="' . self::CONFIG_PURGE_DAYS . '" value="' . $purgeDays . '">', '')
            . '<div class="panel-footer">'
            . '<button type="submit" name="submitPrestashopinforSettings" value="1" class="btn btn-default pull-right"><i class="process-icon-save"></i> ' . self::html($this->l('Save')) . '</button>'
            . '<button type="submit" name="submitPrestashopinforTestEvent" value="1" class="btn btn-default"><i class="process-icon-envelope"></i> ' . self::html($this->l('Send a test event')) . '</button>'
            . '</div></div></form>';
    }

    private function renderOutboxState(): string
    {
        $state = $this->outbox()->state($this->now());
        $rows = [
            $this->l('Pending') => (string) $state['pending'],
            $this->l('Oldest pending event') => $state['oldest_pending_age'] === null ? '-' : self::duration($state['oldest_pending_age']),
            $this->l('Refused (not sent again)') => (string) $state['refused'],
            $this->l('Delivered (kept until purged)') => (string) $state['delivered'],
        ];
        if ($state['last_error']) {
            $error = $state['last_error'];
            $rows[$this->l('Last error')] = $error['event'] . ' → ' . $error['receiver_url'] . ': ' . $error['last_error']
                . ($error['last_attempt_at'] ? ' (' . self::duration($this->now() - (int) $error['last_attempt_at']) . ' ' . $this->l('ago') . ')' : '');
        }
        $token = (string) Configuration::getGlobalValue(self::CONFIG_CRON_TOKEN);
        $rows[$this->l('Cron URL (every minute)')] = $this->context->link->getModuleLink($this->name, 'cron', ['token' => $token], true);
        $rows[$this->l('Or the console (PrestaShop 8 and 9)')] = 'php bin/console prestashopinfor:dispatch';

        $html = '<div class="panel"><div class="panel-heading">' . self::html($this->l('Outbox')) . '</div><table class="table">';
        foreach ($rows as $label => $value) {
            $html .= '<tr><th>' . self::html($label) . '</th><td>' . self::html($value) . '</td></tr>';
        }

        return $html . '</table></div>';
    }

    private static function field(string $label, string $input, string $help): string
    {
        return '<div class="form-group"><label class="control-label col-lg-3">' . self::html($label) . '</label><div class="col-lg-9">'
            . $input . ($help !== '' ? '<p class="help-block">' . self::html($help) . '</p>' : '') . '</div></div>';
    }

    /** A secret as the back office shows it once saved: its last four characters only. */
    public static function mask(string $secret): string
    {
        return '****' . substr($secret, -4);
    }

    private static function duration(int $seconds): string
    {
        if ($seconds < 120) {
            return $seconds . ' s';
        }
        if ($seconds < 7200) {
            return intdiv($seconds, 60) . ' min';
        }
        if ($seconds < 172800) {
            return intdiv($seconds, 3600) . ' h';
        }

        return intdiv($seconds, 86400) . ' d';
    }

    private static function html(string $text): string
    {
        return htmlspecialchars($text, ENT_QUOTES, 'UTF-8');
    }
}
