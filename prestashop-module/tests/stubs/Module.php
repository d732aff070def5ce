<?php
/** classes/module/Module.php: what a module's own class calls on its parent. */
abstract class Module
{
    /** @var array name => instance, as getInstanceByName caches them */
    public static $instances = [];

    public $id;
    public $name;
    public $tab;
    public $version;
    public $author;
    public $need_instance;
    public $ps_versions_compliancy = [];
    public $bootstrap;
    public $displayName;
    public $description;
    public $confirmUninstall;
    public $active = false;
    /** @var Context */
    public $context;
    /** @var string[] the hooks registered (the stand-in's record of Hook::registerHook) */
    public $registeredHooks = [];

    public function __construct($name = null, Context $context = null)
    {
        $this->context = $context ?: Context::getContext();
    }

    public function install()
    {
        $this->id = 1;
        $this->active = true;
        self::$instances[$this->name] = $this;

        return true;
    }

    public function uninstall()
    {
        $this->active = false;
        $this->registeredHooks = [];
        unset(self::$instances[$this->name]);

        return true;
    }

    public function registerHook($hook_name, $shop_list = null)
    {
        foreach ((array) $hook_name as $hook) {
            $this->registeredHooks[] = $hook;
        }

        return true;
    }

    public function l($string, $specific = false, $locale = null)
    {
        return $string;
    }

    public function displayConfirmation($string)
    {
        return '<div class="alert alert-success">' . $string . '</div>';
    }

    public function displayError($error)
    {
        return '<div class="alert alert-danger">' . $error . '</div>';
    }

    public static function getInstanceByName($module_name)
    {
        return self::$instances[$module_name] ?? false;
    }
}
