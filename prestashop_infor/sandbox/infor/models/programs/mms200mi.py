"""MMS200MI, item toolbox (§11.4): items and their warehouse balances; items' basic data changed.

Items come from seeding (the sandbox shop's references); stock changes through MMS850MI and the
order lifecycle. ``UpdItmBasic`` changes the kept basic fields given (descriptions ``ITDS`` and
``FUDS``, status, unit, group, type; a blank input leaves a field as it is, ``?`` blanks it),
refuses a ``CHNO`` that is not the item's change number any more, and moves the change number,
``LMDT`` and ``LMTS``. Groups, alternate units, styles, costs and free fields are not kept.
"""

from __future__ import annotations

from prestashop_infor.sandbox.infor.models.programs.base import Fields, Program, Records
from prestashop_infor.sandbox.infor.models.reads import ReadRule, read_table
from prestashop_infor.sandbox.infor.models.values import (
    MSG_NOT_FOUND,
    M3Failure,
)

#: UpdItmBasic inputs kept on the item record; the others are accepted and not kept.
CHANGEABLE_FIELDS = ("ITDS", "FUDS", "STAT", "UNMS", "ITGR", "ITTY")


class MMS200MI(Program):
    name = "MMS200MI"
    reads = read_table(
        item=(
            "Get", "GetItmBasic", "GetItmFac", "GetItmMeas", "GetItmPrice", "GetItmTech", "GetItmTrpFrelnf",
            "GetItmTrplnf", "LstFacByItem", "LstItmByChgDate", "LstItmByItmGr", "LstItmDescLang", "LstItmFac",
            "LstItmFacTime", "LstItmPrice", "SelItem", "SelItmMercia",
        ),
        balance=(
            "GetItmWhsBal", "GetItmWhsBasic", "LstItmWhsByItm", "LstItmWhsByRel", "LstItmWhsByWhs", "SelItemWhs",
            "SelItmWhsMercia",
        ),
        not_kept=(
            # warehouse groups, alias numbers, costs, alternate units, styles, code tables
            "GetAggWhsGrp", "GetItmCost", "GetSumWhsBal", "LstAUMTime", "LstAggWhsGrp", "LstCustStatNo",
            "LstDistTechGrp", "LstGrpTechClass", "LstItmAltUnitMs", "LstItmByItmARP", "LstItmByProdGr",
            "LstItmFreeFld1", "LstItmFreeFld3", "LstItmFreeFld4", "LstItmGroups", "LstItmWhsByWhgr",
            "LstProdGroups", "LstStyle", "LstSumWhsBal", "SelItemGroup", "SelItemType", "SelProdGroup",
        ),
    ) | {
        # "list items by item": M3 reads on from the item given, it does not stop at it
        "LstItmByItm": ReadRule("item", position=("ITNO",)),
    }  # fmt: skip

    def UpdItmBasic(self, f: Fields) -> Records:
        item = self.m3.items.get(f["ITNO"])
        if item is None:
            raise M3Failure(MSG_NOT_FOUND, f"Item number {f['ITNO']} does not exist", "ITNO")
        self.change(item, f, CHANGEABLE_FIELDS, ("ITDS", "Name"), f"Item {item.itno}")
        return []
