<?php
/** classes/exception/PrestaShopDatabaseException.php */
class PrestaShopDatabaseException extends Exception
{
}
