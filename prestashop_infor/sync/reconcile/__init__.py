"""The reconciliation lane: per day, the shop's orders against M3's, and the shop's stock against M3.

Three steps, each the body of one asset, each reading what the one before stored:

1. :func:`snapshot_shop_orders` reads the shop's orders placed on a range of days (``date_add`` in
   the shop's time zone; paged by id, one page in memory at a time) and stores each reduced to what
   is compared (``recon_shop_orders``): its ``CUOR``, its state's place on the fulfilment ladder,
   whether it is sent to M3 at all, its lines as M3 items and quantities, and its amount in the
   ERP currency (``ORQT`` x ``SAPR`` per line), all by the rule the order mapper sends lines with
   (``sync.order_lines``, the products and combinations found as the mapper finds them: stored by
   ``prestashop_products``, else read from the shop), so what is expected is what the sync sent.
2. :func:`snapshot_m3_orders` reads M3's customer orders of the same days (``OIS175MI/
   LstHeadByDate`` positioned on the first day, in chunks of ``M3_PAGE`` heads; each chunk's lines
   with ``OIS100MI/LstLine`` in bulk requests) into ``recon_m3_orders``: ``CUOR``, milestone
   (the mapping's one status rule), lines and amount (``ORQT`` x ``SAPR``).
3. :func:`reconcile_orders` joins the two on ``CUOR``, day by day, and stores what differs
   (``recon_findings``):

   - ``missing_in_m3``: a shop order sent to M3 (not in a ``not_exported`` state) of which M3 holds
     no customer order (orders placed in the last ``IN_FLIGHT`` are still on their way);
   - ``missing_in_shop``: an M3 order with this prefix whose shop order does not exist that day;
   - ``line_mismatch``: the items or quantities differ (an amount difference is then its consequence
     and not reported twice);
   - ``amount_mismatch``: same lines, amounts differ by more than the tolerance;
   - ``status_mismatch``: cancelled on one side only, or shipped on one side only (the shop's state
     flagged shipped, or M3 at ``shipped`` or later on the one fulfilment ladder,
     ``m3_order_states.milestone_rank``). A paid state says nothing of fulfilment and is not compared;
   - money, for an order M3 has invoiced (``OIS350MI/LstInvHeadByCo`` per order, net amounts; the
     shop's ``order_payments`` and ``order_slip`` of the day's orders, one OR-filtered request per
     hundred orders): ``invoice_mismatch`` (M3 invoiced other than the lines sent),
     ``payment_missing_in_shop`` (M3's invoices settled, no payment in the shop),
     ``refund_missing_in_shop`` / ``refund_missing_in_m3`` (credits and the shop's product refunds
     differ).

:func:`reconcile_stock` compares the stored shop stock (``ps_stock``) with M3's availability
(``m3_balances``) through the stock rules (``sync.stock``) and reports each drift.

:func:`heal` re-drives what a machine may repair, through the code the other lanes run: a missing
order is sent again by the order sync (its id-map binding dropped first if M3 no longer holds
the order, so the binding never claims what M3 does not hold); a status M3 moved on, or a payment M3
settled, is pushed by the status lane; M3's credit notes the shop lacks become credit slips and the
shop's slips M3 lacks are entered there (``sync.credit_notes``, ``sync.refunds``). Amount, line and
invoice differences are a person's call: reported, never changed. Healing twice does nothing the
second time: the order is in M3, the status, payment and slips in the shop.

The steps live in ``snapshots`` (1 and 2), ``findings`` (3 and the stock check) and ``healing``.
"""

from prestashop_infor.sync.reconcile.findings import (
    IN_FLIGHT,
    KINDS,
    STOCK_KIND,
    Finding,
    ReconciliationReport,
    chunks,
    days,
    m3_ahead,
    open_findings,
    reconcile_orders,
    reconcile_stock,
)
from prestashop_infor.sync.reconcile.healing import HealReport, heal
from prestashop_infor.sync.reconcile.snapshots import (
    M3_PAGE,
    SHOP_PAGE,
    SnapshotReport,
    _m3_date,
    snapshot_m3_orders,
    snapshot_shop_orders,
)

__all__ = [
    "IN_FLIGHT",
    "KINDS",
    "M3_PAGE",
    "SHOP_PAGE",
    "STOCK_KIND",
    "Finding",
    "HealReport",
    "ReconciliationReport",
    "SnapshotReport",
    "_m3_date",  # for benchmarks/backfill.py, which reads M3 dates as the lane does
    "chunks",
    "days",
    "heal",
    "m3_ahead",
    "open_findings",
    "reconcile_orders",
    "reconcile_stock",
    "snapshot_m3_orders",
    "snapshot_shop_orders",
]
