<?php
/**
 * The module's class loader, written by hand: the module has no Composer dependency.
 *
 * It sits where Composer's would because PrestaShop 8 and 9 include modules/<name>/vendor/autoload.php
 * of every installed module before compiling their Symfony container (app/AppKernel.php,
 * enableComposerAutoloaderOnModules): that is how the console finds src/Command/DispatchCommand.php,
 * which config/services.yml names. prestashopinfor.php requires it too.
 */
spl_autoload_register(function ($class) {
    $prefix = 'PrestashopInfor\\';
    if (strncmp($class, $prefix, strlen($prefix)) !== 0) {
        return;
    }
    $file = dirname(__DIR__) . '/src/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
    if (is_file($file)) {
        require $file;
    }
});
