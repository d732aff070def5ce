<?php
/** classes/Link.php: the two links the configuration page shows. */
class Link
{
    public function getAdminLink($controller, $withToken = true, $sfRouteParams = [], $params = [])
    {
        return 'https://shop.example/admin-dev/index.php?controller=' . $controller . ($withToken ? '&token=admintoken' : '')
            . ($params ? '&' . http_build_query($params) : '');
    }

    public function getModuleLink($module, $controller = 'default', array $params = [], $ssl = null, $idLang = null, $idShop = null, $relativeProtocol = false)
    {
        return 'https://shop.example/index.php?' . http_build_query(['fc' => 'module', 'module' => $module, 'controller' => $controller] + $params);
    }
}
