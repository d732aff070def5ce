<?php
/** classes/PrestaShopLogger.php */
class PrestaShopLogger
{
    /** @var array the messages logged */
    public static $messages = [];

    public static function addLog($message, $severity = 1, $errorCode = null, $objectType = null, $objectId = null, $allowDuplicate = false, $idEmployee = null)
    {
        self::$messages[] = [$severity, $message];

        return true;
    }
}
