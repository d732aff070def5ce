<?php
/** classes/Context.php: the request's shop and link. */
class Context
{
    /** @var Context|null */
    private static $instance;
    /** @var Shop|null */
    public $shop;
    /** @var Link */
    public $link;

    public static function getContext()
    {
        if (self::$instance === null) {
            self::reset();
        }

        return self::$instance;
    }

    public static function reset()
    {
        self::$instance = new self();
        self::$instance->shop = new Shop(1);
        self::$instance->link = new Link();
    }
}
