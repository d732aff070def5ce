"""Money back, both ways: M3's credit notes become the shop's credit slips and refunded state; the
shop's refunds and the merchandise returns the merchant accepts become M3 customer returns. Thin
assets over ``sync.credit_notes``, ``sync.refunds`` and ``sync.returns``."""

import dagster as dg

from prestashop_infor.defs.infor.resources import InforResource
from prestashop_infor.defs.metadata import table
from prestashop_infor.defs.prestashop.resources import PrestashopResource
from prestashop_infor.defs.resources import StoreResource
from prestashop_infor.defs.sync.assets import ERP_POOL, GROUP, SHOP_ORDERS_POOL, listed_ids
from prestashop_infor.defs.sync.resources import MappingResource
from prestashop_infor.store.reference_data import stored_order_states
from prestashop_infor.sync.credit_notes import push_credit_slips, read_credit_notes
from prestashop_infor.sync.refunds import send_refunds
from prestashop_infor.sync.returns import send_returns


@dg.asset(
    group_name=GROUP,
    kinds={"infor"},
    description="M3's credit notes (a return received, a credit without goods back) on customer orders, "
    "found in M3's invoice list (OIS350MI/LstInvHead, in each division of the mapping) from where the last "
    "run stopped, with their order from their lines; kept in m3_credit_notes.",
)
def infor_credit_notes(
    infor: InforResource, store: StoreResource, mapping: MappingResource
) -> dg.MaterializeResult:
    rules = mapping.load()
    with infor.get_client(rules.erp) as m3, store.open() as db:
        read = read_credit_notes(m3, db, divisions=rules.divisions())
    return dg.MaterializeResult(
        metadata={
            "invoices_read": dg.MetadataValue.int(read.invoices_read),
            "credit_notes": dg.MetadataValue.int(len(read.credit_notes)),
            "without_order": dg.MetadataValue.int(read.without_order),
            "credit_note_ids": listed_ids(f"{n.key} ({n.orno})" for n in read.credit_notes),
        }
    )


@dg.asset(
    group_name=GROUP,
    kinds={"prestashop"},
    pool=SHOP_ORDERS_POOL,
    deps=["infor_credit_notes", "infor_sales_orders", "prestashop_reference_data"],
    description="Each M3 credit note on an order the integration sent, as a credit slip (order_slip) on the "
    "shop order, once; the order's refunded state (mapping refunds) once its products are credited.",
)
def prestashop_credit_slips(
    prestashop: PrestashopResource, store: StoreResource, mapping: MappingResource
) -> dg.MaterializeResult:
    rules = mapping.load()
    with prestashop.get_client() as shop, store.open() as db:
        report = push_credit_slips(
            prestashop=shop, store=db, mapping=rules, order_states=stored_order_states(db)
        )
    letters = [
        {"credit_note": k, "code": e.code, "message": e.message} for k, e in report.dead_lettered.items()
    ]
    return dg.MaterializeResult(
        metadata={
            **{name: dg.MetadataValue.int(count) for name, count in report.counts().items()},
            "credit_slip_ids": listed_ids(report.slips),
            "refunded_order_ids": listed_ids(report.refunded),
            "dead_letters": table(letters, ["credit_note", "code", "message"]),
        }
    )


@dg.asset(
    group_name=GROUP,
    kinds={"infor"},
    pool=ERP_POOL,
    deps=["prestashop_order_slips", "prestashop_orders", "infor_sales_orders", "infor_credit_notes"],
    description="Refunds given in the shop (credit slips M3 does not know of) entered in M3 as customer "
    "returns that take no goods back (OIS390MI, mapping refunds.m3_credit_reason), once: the return's number "
    "is derived from the slip; M3's credit note then comes back as that slip's.",
)
def infor_shop_refunds(
    infor: InforResource, store: StoreResource, mapping: MappingResource
) -> dg.MaterializeResult:
    rules = mapping.load()
    with infor.get_client(rules.erp) as m3, store.open() as db:
        report = send_refunds(m3=m3, store=db, mapping=rules)
    letters = [{"slip": k, "code": e.code, "message": e.message} for k, e in report.dead_lettered.items()]
    return dg.MaterializeResult(
        metadata={
            **{name: dg.MetadataValue.int(count) for name, count in report.counts().items()},
            "sent_ids": listed_ids(report.sent),
            "dead_letters": table(letters, ["slip", "code", "message"]),
        }
    )


@dg.asset(
    group_name=GROUP,
    kinds={"infor"},
    pool=ERP_POOL,
    deps=["prestashop_order_returns", "prestashop_orders", "infor_sales_orders"],
    description="Merchandise returns the merchant accepted in the shop (mapping returns.shop_states) entered in "
    "M3 as customer returns (OIS390MI AddHead/AddLine, RSCD returns.m3_return_reason), once: the return's "
    "number is derived from the shop's return id. When the goods arrive M3 credits the customer and the credit "
    "note comes back as the shop's credit slip.",
)
def infor_shop_returns(
    infor: InforResource, store: StoreResource, mapping: MappingResource
) -> dg.MaterializeResult:
    rules = mapping.load()
    with infor.get_client(rules.erp) as m3, store.open() as db:
        report = send_returns(m3=m3, store=db, mapping=rules)
    letters = [{"return": k, "code": e.code, "message": e.message} for k, e in report.dead_lettered.items()]
    return dg.MaterializeResult(
        metadata={
            **{name: dg.MetadataValue.int(count) for name, count in report.counts().items()},
            "sent_ids": listed_ids(report.sent),
            "dead_letters": table(letters, ["return", "code", "message"]),
        }
    )


ASSETS = [infor_credit_notes, prestashop_credit_slips, infor_shop_refunds, infor_shop_returns]
