<?php
/**
 * classes/ObjectModel.php and the entities the hooks hand over (classes/order/Order.php,
 * classes/order/OrderState.php, classes/order/OrderCarrier.php, classes/Customer.php,
 * classes/Address.php, classes/Product.php, classes/Combination.php): public fields, loaded by id
 * from an in-memory table.
 */
abstract class ObjectModel
{
    /** @var array class => [id => [field => value]] */
    public static $rows = [];

    public $id;

    public function __construct($id = null, $id_lang = null, $id_shop = null)
    {
        if ($id && isset(self::$rows[static::class][(int) $id])) {
            $this->id = (int) $id;
            foreach (self::$rows[static::class][(int) $id] as $field => $value) {
                $this->$field = $value;
            }
        }
    }

    /** A saved object (a test's way of putting a row in the shop's database). */
    public static function saved(int $id, array $fields)
    {
        self::$rows[static::class][$id] = $fields;

        return new static($id);
    }
}

class Order extends ObjectModel
{
    public $id_shop;
    public $id_shop_group;
    public $id_customer;
    public $reference;
    public $current_state;
    public $date_add;
    public $date_upd;
}

class OrderState extends ObjectModel
{
    public $paid;
}

class OrderCarrier extends ObjectModel
{
    public $id_order;
    public $id_carrier;
    public $tracking_number;
}

class Customer extends ObjectModel
{
    public $id_shop;
    public $id_shop_group;
    public $date_upd;
}

class Address extends ObjectModel
{
    public $id_customer;
    public $date_upd;
}

class Product extends ObjectModel
{
    public $date_upd;
}

class Combination extends ObjectModel
{
    public $id_product;
}
