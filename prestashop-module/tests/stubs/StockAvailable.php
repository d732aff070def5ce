<?php
/** classes/stock/StockAvailable.php: the stock row of a product, combination and shop. */
class StockAvailable
{
    /** @var array "id_product:id_product_attribute:id_shop" => id_stock_available */
    public static $ids = [];

    public static function getStockAvailableIdByProductId($id_product, $id_product_attribute = null, $id_shop = null)
    {
        $key = (int) $id_product . ':' . (int) $id_product_attribute . ':' . (int) $id_shop;

        return self::$ids[$key] ?? false;
    }
}
