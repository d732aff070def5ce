<?php
/** config/alias.php: pSQL, PrestaShop's escaping of a value for SQL. */
function pSQL($string, $htmlOK = false)
{
    return Db::getInstance()->escape($string, $htmlOK);
}
