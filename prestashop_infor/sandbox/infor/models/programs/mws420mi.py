"""MWS420MI, picking lists (§11.6): ``Confirm`` reports a picking list, which issues the stock and
delivers its delivery's lines (66) through the lifecycle; picking list heads and lines are read from the
deliveries. Waves and report numbers are not kept."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prestashop_infor.sandbox.infor.models.programs.base import Fields, Program, Records
from prestashop_infor.sandbox.infor.models.reads import read_table
from prestashop_infor.sandbox.infor.models.records import CustomerOrder, Delivery
from prestashop_infor.sandbox.infor.models.values import MSG_NOT_FOUND, M3Failure

if TYPE_CHECKING:
    from prestashop_infor.sandbox.infor.models.tenant import M3Tenant


def picking_list(m3: M3Tenant, dlix: str, plsx: str) -> tuple[CustomerOrder, Delivery]:
    """The customer order and delivery of picking list ``dlix``/``plsx`` (an order delivered in
    several deliveries has one per delivery); fails like M3 when there is none."""
    delivery = m3.deliveries.get(dlix.lstrip("0") or "0")
    if delivery is None:
        raise M3Failure(MSG_NOT_FOUND, f"Delivery number {dlix} does not exist", "DLIX")
    if plsx.lstrip("0") != delivery.plsx.lstrip("0"):
        raise M3Failure(MSG_NOT_FOUND, f"Picking list {dlix}/{plsx} does not exist", "PLSX")
    return m3.orders[delivery.orno], delivery


class MWS420MI(Program):
    name = "MWS420MI"
    reads = read_table(
        picking_list=("LstPickHeader", "LstPickList", "LstPickersPL"),
        delivery_line=("GetPickListLine", "LstPLViaPckLst"),
        not_kept=("GetPckLnViaRepN", "LstWave", "LstWavePickList"),
    )

    def Confirm(self, f: Fields) -> Records:
        order, delivery = picking_list(self.m3, f["DLIX"], f["PLSX"])
        self.m3.confirm_picking(order, delivery=delivery)
        return []
