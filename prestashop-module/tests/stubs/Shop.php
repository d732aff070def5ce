<?php
/** classes/shop/Shop.php: the shops, the back office's shop context, a shop's base URL. */
class Shop
{
    const CONTEXT_SHOP = 1;
    const CONTEXT_GROUP = 2;
    const CONTEXT_ALL = 4;

    /** @var array id_shop => [id_shop_group, domain, physical_uri] */
    public static $shops = [];
    /** @var bool multistore on (PS_MULTISHOP_FEATURE_ACTIVE and more than one shop) */
    public static $featureActive = false;
    private static $context = self::CONTEXT_SHOP;
    private static $contextShopId = 1;
    private static $contextShopGroupId = 1;

    public $id;
    public $id_shop_group;
    public $domain;
    public $domain_ssl;
    public $physical_uri;

    public function __construct($id = null, $id_lang = null, $id_shop = null)
    {
        if ($id !== null && isset(self::$shops[(int) $id])) {
            $this->id = (int) $id;
            list($this->id_shop_group, $this->domain, $this->physical_uri) = self::$shops[(int) $id];
            $this->domain_ssl = $this->domain;
        }
    }

    public static function reset()
    {
        self::$shops = [1 => [1, 'shop.example', '/']];
        self::$featureActive = false;
        self::$context = self::CONTEXT_SHOP;
        self::$contextShopId = 1;
        self::$contextShopGroupId = 1;
    }

    public function getBaseURL($auto_secure_mode = false, $add_base_uri = true)
    {
        if (!$this->domain) {
            return false;
        }
        $ssl = $auto_secure_mode; // PS_SSL_ENABLED is on in these tests

        return 'http' . ($ssl ? 's' : '') . '://' . ($ssl ? $this->domain_ssl : $this->domain) . ($add_base_uri ? $this->physical_uri : '');
    }

    public static function isFeatureActive()
    {
        return self::$featureActive;
    }

    public static function setContext($type, $id = null)
    {
        self::$context = $type;
        if ($type === self::CONTEXT_ALL) {
            self::$contextShopId = null;
            self::$contextShopGroupId = null;
        } elseif ($type === self::CONTEXT_GROUP) {
            self::$contextShopId = null;
            self::$contextShopGroupId = (int) $id;
        } else {
            self::$contextShopId = (int) $id;
            self::$contextShopGroupId = (int) self::$shops[(int) $id][0];
        }
    }

    public static function getContext()
    {
        return self::$context;
    }

    public static function getContextShopID($null_value_without_multishop = false)
    {
        if ($null_value_without_multishop && !self::isFeatureActive()) {
            return null;
        }

        return self::$contextShopId;
    }

    public static function getContextShopGroupID($null_value_without_multishop = false)
    {
        if ($null_value_without_multishop && !self::isFeatureActive()) {
            return null;
        }

        return self::$contextShopGroupId;
    }
}
