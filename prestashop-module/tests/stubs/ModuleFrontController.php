<?php
/**
 * classes/controller/ModuleFrontController.php, and classes/controller/Controller.php's constructor:
 * $ajax from the request, the module from the "module" parameter.
 */
class ModuleFrontController
{
    public $ajax = false;
    /** @var Module */
    public $module;

    public function __construct()
    {
        $this->ajax = Tools::getValue('ajax') || Tools::isSubmit('ajax');
        $this->module = Module::getInstanceByName(Tools::getValue('module'));
    }
}
