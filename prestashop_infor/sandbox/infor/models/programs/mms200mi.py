"""MMS200MI, item toolbox (§11.4): items and their warehouse balances, read only.

Items come from seeding (the sandbox shop's references); stock changes through MMS850MI and the
order lifecycle. Groups, alternate units, styles, costs and free fields are not kept.
"""

from __future__ import annotations

from prestashop_infor.sandbox.infor.models.programs.base import Program
from prestashop_infor.sandbox.infor.models.reads import ReadRule, read_table


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
