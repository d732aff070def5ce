"""DRS100MI, shipments (§11.6): the shipment (``CONN``) a delivery leaves with, its status, forwarder
and departure, the deliveries and picking lists on it; read only."""

from __future__ import annotations

from prestashop_infor.sandbox.infor.models.programs.base import Program
from prestashop_infor.sandbox.infor.models.reads import read_table


class DRS100MI(Program):
    name = "DRS100MI"
    reads = read_table(
        shipment=("GetLoadingStat", "GetShipment", "LstShipment"),
        delivery=("LstByDelivery", "LstByPlace"),
        delivery_line=("LstShipPickDet",),
        picking_list=("LstShipPicklist",),
    )
