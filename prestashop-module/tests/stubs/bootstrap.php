<?php
/**
 * Stand-ins for the PrestaShop classes the module calls, small and explicit, so its tests run without
 * a shop. Each file names the PrestaShop source it follows; the signatures are PrestaShop 8's, the
 * behaviour only what the module relies on. The database is SQLite in memory (Db.php).
 */
define('_PS_VERSION_', '8.1.4');
define('_DB_PREFIX_', 'ps_');
define('_MYSQL_ENGINE_', 'InnoDB');
define('_PS_MODULE_DIR_', dirname(__DIR__, 2) . '/');

require_once __DIR__ . '/alias.php';
require_once __DIR__ . '/PrestaShopDatabaseException.php';
require_once __DIR__ . '/Db.php';
require_once __DIR__ . '/Shop.php';
require_once __DIR__ . '/Configuration.php';
require_once __DIR__ . '/Tools.php';
require_once __DIR__ . '/Validate.php';
require_once __DIR__ . '/Link.php';
require_once __DIR__ . '/Context.php';
require_once __DIR__ . '/PrestaShopLogger.php';
require_once __DIR__ . '/Module.php';
require_once __DIR__ . '/ModuleFrontController.php';
require_once __DIR__ . '/ObjectModel.php';
require_once __DIR__ . '/OrderReturn.php';
require_once __DIR__ . '/StockAvailable.php';
require_once __DIR__ . '/SymfonyConsole.php';

/** A fresh shop: empty database and configuration, one shop (id 1, group 1), no multistore. */
function prestashop_stubs_reset()
{
    Db::reset();
    Configuration::$values = [];
    Shop::reset();
    Context::reset();
    ObjectModel::$rows = [];
    OrderReturn::$details = [];
    StockAvailable::$ids = [];
    Tools::$values = [];
    PrestaShopLogger::$messages = [];
    Module::$instances = [];
}
