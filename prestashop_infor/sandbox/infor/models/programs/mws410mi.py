"""MWS410MI, delivery number toolbox (§11.6): delivery heads with status ``PGRS``, shipment
``CONN``, forwarder and tracking number ``ETRN``, their lines and consignee address, read only. An
order delivered in several deliveries has a head per delivery number (DLIX), each with its own
shipment and tracking number, and its lines under the delivery they went in. Packages and freight
documents are not kept."""

from __future__ import annotations

from prestashop_infor.sandbox.infor.models.programs.base import Program
from prestashop_infor.sandbox.infor.models.reads import read_table


class MWS410MI(Program):
    name = "MWS410MI"
    reads = read_table(
        delivery=("GetHead",),
        delivery_address=("GetAdr", "LstAdr"),
        delivery_line=("LstItem",),
        not_kept=(
            "GetPackage",
            "GetPackageLine",
            "LstDocuments",
            "LstItemPackages",
            "LstPackageLine",
            "LstPackages",
        ),
    )
