<?php
/** classes/Tools.php: the request's values (POST then GET) and nl2br. */
class Tools
{
    /** @var array what the request carries */
    public static $values = [];

    public static function getValue($key, $default_value = false)
    {
        return array_key_exists($key, self::$values) ? self::$values[$key] : $default_value;
    }

    public static function isSubmit($submit)
    {
        return array_key_exists($submit, self::$values);
    }

    public static function nl2br($str)
    {
        return str_replace(["\r\n", "\r", "\n", PHP_EOL], '<br />', $str);
    }
}
