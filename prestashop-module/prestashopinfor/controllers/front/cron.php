<?php
/**
 * The cron entry point: index.php?fc=module&module=prestashopinfor&controller=cron&token=<token>
 * (the back office shows the full URL). Sends what is due, purges old delivered events, and answers
 * with a JSON summary; 403 without the right token, compared in constant time.
 *
 * $ajax: classes/controller/Controller.php's run() then calls displayAjax() instead of rendering a
 * page with the theme. Set after the parent's constructor, which sets it from the request's "ajax".
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

class PrestashopinforCronModuleFrontController extends ModuleFrontController
{
    /** @var array */
    private $summary = [];

    public function __construct()
    {
        parent::__construct();
        $this->ajax = true;
    }

    public function postProcess()
    {
        if (!$this->module->cronTokenIsValid(Tools::getValue('token'))) {
            http_response_code(403);
            $this->summary = ['error' => 'invalid token'];

            return;
        }
        $this->summary = $this->module->runCron();
    }

    public function displayAjax()
    {
        if (!headers_sent()) {
            header('Content-Type: application/json');
            header('Cache-Control: no-store');
        }
        echo json_encode($this->summary);
    }
}
