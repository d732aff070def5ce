<?php
/**
 * classes/Configuration.php: values for all shops, a shop group or a shop; get() falls back from the
 * shop to its group to all shops. Without $html, a value loses its tags and line breaks
 * (pSQL(..., false) in updateValue), as it would once read back from the database.
 */
class Configuration
{
    /** @var array key => [scope => value], scope "global", "group:N" or "shop:N" */
    public static $values = [];

    public static function get($key, $idLang = null, $idShopGroup = null, $idShop = null, $default = false)
    {
        if ($idShop === null) {
            $idShop = Shop::getContextShopID(true);
        }
        if ($idShopGroup === null) {
            $idShopGroup = Shop::getContextShopGroupID(true);
        }
        $scopes = self::$values[$key] ?? [];
        if (Shop::isFeatureActive() && $idShop && isset($scopes['shop:' . $idShop])) {
            return $scopes['shop:' . $idShop];
        }
        if (Shop::isFeatureActive() && $idShopGroup && isset($scopes['group:' . $idShopGroup])) {
            return $scopes['group:' . $idShopGroup];
        }

        return $scopes['global'] ?? $default;
    }

    public static function getGlobalValue($key, $idLang = null)
    {
        return self::$values[$key]['global'] ?? false;
    }

    public static function updateValue($key, $values, $html = false, $idShopGroup = null, $idShop = null)
    {
        if ($idShop === null || !Shop::isFeatureActive()) {
            $idShop = Shop::getContextShopID(true);
        }
        if ($idShopGroup === null || !Shop::isFeatureActive()) {
            $idShopGroup = Shop::getContextShopGroupID(true);
        }
        $value = (string) $values;
        if (!$html) {
            $value = strip_tags(Tools::nl2br($value));
        }
        $scope = $idShop ? 'shop:' . $idShop : ($idShopGroup ? 'group:' . $idShopGroup : 'global');
        self::$values[$key][$scope] = $value;

        return true;
    }

    public static function updateGlobalValue($key, $values, $html = false)
    {
        $value = (string) $values;
        self::$values[$key]['global'] = $html ? $value : strip_tags(Tools::nl2br($value));

        return true;
    }

    public static function deleteByName($key)
    {
        unset(self::$values[$key]);

        return true;
    }
}
