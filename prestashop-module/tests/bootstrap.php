<?php
/** The PHPUnit bootstrap: the PrestaShop stand-ins, the module, the test helpers. */
require_once __DIR__ . '/stubs/bootstrap.php';
require_once dirname(__DIR__) . '/prestashopinfor/prestashopinfor.php';
require_once dirname(__DIR__) . '/prestashopinfor/controllers/front/cron.php';
require_once __DIR__ . '/support/FakeHttpSender.php';
require_once __DIR__ . '/support/TestClock.php';
require_once __DIR__ . '/support/ShopScenario.php';
require_once __DIR__ . '/support/ModuleTestCase.php';
