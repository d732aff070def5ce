"""Blocking checks on the Infor assets: the same failure-share gate as the PrestaShop side."""

from prestashop_infor.defs.infor.assets import infor_inventory, infor_items, infor_order_statuses
from prestashop_infor.defs.prestashop.checks import failure_share_check

infor_items_failure_share = failure_share_check(infor_items)
infor_inventory_failure_share = failure_share_check(infor_inventory)
infor_order_statuses_failure_share = failure_share_check(infor_order_statuses)

CHECKS = [infor_items_failure_share, infor_inventory_failure_share, infor_order_statuses_failure_share]
