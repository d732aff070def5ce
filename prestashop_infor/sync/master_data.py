"""Shop customer and product changes to M3: the customer's name, address and e-mail, the item's
descriptions. Updates only: nothing here creates an M3 customer or item.

What flows, and nothing else:

- customers (``CRS610MI/ChgBasicData``): :data:`~prestashop_infor.sync.customers.SHOP_FIELDS`,
  the name and address lines of one shop address (the one the customer was created from while it
  is live, else the customer's most recent live address; through ``AddressRules`` as at the
  creation) and the e-mail (``MAIL``, when it fits M3's 50 characters). Template terms, currency,
  credit, status, type, search key, references, delivery and payment terms are M3's.
- items (``MMS200MI/UpdItmBasic``): ``ITDS``, the product name (``items.description_language``),
  whitespace collapsed and cut at a word boundary to M3's 60 characters; ``FUDS``, the short
  description without its HTML, whitespace collapsed, cut the same way to 120. A product's item and,
  when combinations map to items of their own, each combination's item get the product's texts. Units,
  weights, prices, status and groups are M3's.

M3 edits win, field by field (a three-way merge). The id map keeps, with each bound record, the
shop's value last acted on (``data["sent"]``) and, for a field where M3 held an edit of its own,
M3's value then (``data["kept"]``). A field is looked at only when the shop's value differs from
``sent``: M3 holding that value already is "in step"; M3 still holding its base (``kept``, else
``sent``; or nothing recorded: a customer bound before this existed) gets the shop's value; anything
else is an M3 edit, kept and reported (``kept_m3_edits``), and its value becomes M3's base, so a
later change in the shop flows again. Nothing changed in the snapshots: no M3 call at all.

Safety, the one synchronizer shape (``sync.synchronizer``): a claim per customer / item key
(``customer_update``, ``item_update``) so two runs never work on the same record; M3 read (bulk
``GetBasicData`` / ``Get``) just before the write; the write carries the change number read
(``CHNO``), so an edit in M3 between read and write fails the write (``conflicts``) instead of being
overwritten; the id map is written only after M3 answered OK. A write that failed, or whose
outcome is unknown (a gateway error or a timeout that may hide a commit: ``unsure``), records
nothing: the next run reads M3 again and the merge finds the value in step or sends it again.

E-mail changes: every shop customer bound to an M3 customer is in the id map (``shop_customer``:
PrestaShop customer id -> ``CUNO``). When its e-mail in ``ps_customers`` is one no M3 customer has,
the new e-mail is bound to the same ``CUNO`` (as a second e-mail, under the e-mail's creation claim),
so its next order finds the M3 customer and never creates another. Shop accounts sharing a bound
e-mail (guest and registered) join that M3 customer.

Items M3 does not hold are reported (``unknown_items``), never bound and never an error of the run;
they are looked at again when their product changes (remembered in the cursor
:data:`UNKNOWN_ITEMS_CURSOR`). Bad shop data (an address the mapping cannot represent, a product
without a name) is an error naming the field, for that record only.

The customer half is ``sync.customer_updates``, the item half ``sync.item_updates``, the merge they
share ``sync.field_merge``; this module keeps their names in one place.
"""

from __future__ import annotations

from prestashop_infor.sync.customer_updates import (
    CUSTOMER_UPDATE,
    CustomerUpdateReport,
    push_customer_updates,
)
from prestashop_infor.sync.field_merge import STALE_CLAIM, FieldMerge, merge_fields
from prestashop_infor.sync.item_updates import (
    ITEM,
    ITEM_FIELDS,
    ITEM_UPDATE,
    UNKNOWN_ITEMS_CURSOR,
    ItemUpdateReport,
    fit_text,
    item_texts,
    plain_text,
    push_item_updates,
)

__all__ = [
    "CUSTOMER_UPDATE",
    "ITEM",
    "ITEM_FIELDS",
    "ITEM_UPDATE",
    "STALE_CLAIM",
    "UNKNOWN_ITEMS_CURSOR",
    "CustomerUpdateReport",
    "FieldMerge",
    "ItemUpdateReport",
    "fit_text",
    "item_texts",
    "merge_fields",
    "plain_text",
    "push_customer_updates",
    "push_item_updates",
]
