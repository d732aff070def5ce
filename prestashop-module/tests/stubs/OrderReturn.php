<?php
/**
 * classes/order/OrderReturn.php: a merchandise return (table order_return, Webservice resource
 * "order_returns"; its id, from ObjectModel, is id_order_return) and its lines, the order_return_detail
 * rows that addReturnDetail() inserts, one per product line and customization (id_customization 0
 * without one). getOrdersReturnDetail() is PrestaShop's SELECT * ... WHERE id_order_return = N: no
 * ORDER BY, every value a string, as the database gives them.
 */
class OrderReturn extends ObjectModel
{
    /** @var array id_order_return => its order_return_detail rows, in the order they were saved */
    public static $details = [];

    public $id_customer;
    public $id_order;
    /** @var string|int an order_return_state id (the class defines the field as TYPE_STRING) */
    public $state;
    public $question;
    public $date_add;
    public $date_upd;

    /** A saved line of a return (a test's way of putting an order_return_detail row in the database). */
    public static function savedDetail(int $idOrderReturn, int $idOrderDetail, int $productQuantity, int $idCustomization = 0)
    {
        self::$details[$idOrderReturn][] = [
            'id_order_return' => (string) $idOrderReturn,
            'id_order_detail' => (string) $idOrderDetail,
            'id_customization' => (string) $idCustomization,
            'product_quantity' => (string) $productQuantity,
        ];
    }

    public static function getOrdersReturnDetail($id_order_return)
    {
        return self::$details[(int) $id_order_return] ?? [];
    }
}
