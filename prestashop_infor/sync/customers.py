"""Customer upsert: a PrestaShop customer (matched on normalized e-mail) becomes one M3 customer.

Guest and registered accounts with the same e-mail are one M3 customer. The order of checks for a
batch of customers:

1. the id map (``customer``: normalized e-mail -> ``CUNO``) — bound customers cost nothing;
2. a claim per new e-mail (``id_map.claim_for_work``, unique in the database) taken before M3 is
   called: the run that holds it creates the customer; another run reports the e-mail ``busy`` and
   leaves its orders for a later run (no waiting); a claim whose holder died is taken over;
3. ``CRS610MI/Add`` in one bulk request, with a customer number *derived* from the e-mail
   (prefix + hash), so the number is known before M3 answers: after a crash, a 5xx, or a claim
   whose holder died, ``CRS610MI/GetBasicData`` on that number says whether the customer exists,
   and M3 itself refuses a second customer with the same number;
4. bind in the id map, release the claims (on every way out): the e-mail (its ``data`` keeps the
   shop customer id, the address id and the shop-owned fields sent, ``sent``, which the update
   pass of ``sync.master_data`` merges from) and the shop customer id (``shop_customer``: PrestaShop
   customer id -> ``CUNO``).

Before step 3, an e-mail nobody bound whose shop customer is already bound (the customer changed
their e-mail in the shop) is bound to that customer's ``CUNO``: a new e-mail is never a second M3
customer. The fields the shop owns (:data:`SHOP_FIELDS`) are built by :func:`shop_fields` for
both the creation and the later changes (``sync.master_data``).

A customer that cannot be created is reported as a :class:`SyncError` for its e-mail; the caller
dead-letters the records that needed it.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from prestashop_infor.infor import M3Client, M3GatewayError, M3TransactionError
from prestashop_infor.store import Store, id_map
from prestashop_infor.sync.errors import LoadError, SyncError, ValidationError
from prestashop_infor.sync.mapping import Mapping

ENTITY = "customer"
SHOP_CUSTOMER = "shop_customer"  # id map entity: PrestaShop customer id -> CUNO
MAIL_LENGTH = 50
CUSTOMER_NUMBER_LENGTH = 10
#: The M3 customer fields the shop owns: the name and address (from one shop address, through
#: ``AddressRules``) and the e-mail. Everything else (template terms, currency, credit, status,
#: customer type, search key, YREF...) is M3's and is never sent after the creation.
ADDRESS_FIELDS = ("CUNM", "CUA1", "CUA2", "CUA3", "CUA4", "PONO", "TOWN", "CSCD", "PHNO")
SHOP_FIELDS = (*ADDRESS_FIELDS, "MAIL")


def normalize_email(email: Any) -> str:
    """Lower-cased and trimmed; an address without ``@`` cannot identify a customer."""
    text = str(email or "").strip().lower()
    if "@" not in text or text.startswith("@") or text.endswith("@") or " " in text:
        raise ValidationError("invalid_email", "email", f"{email!r} is not an e-mail address")
    return text


def customer_number(normalized_email: str, prefix: str = "PS") -> str:
    """The M3 customer number (``CUNO``, 10 characters) derived from a normalized e-mail: the
    prefix and base32 characters of its SHA-256 (8 characters after "PS": 2^40 values)."""
    digest = base64.b32encode(hashlib.sha256(normalized_email.encode("utf-8")).digest()).decode()
    return (prefix + digest)[:CUSTOMER_NUMBER_LENGTH]


@dataclass(frozen=True)
class CustomerRecord:
    """What M3 needs to create a customer: the shop customer and the address to use (the first
    order's invoice address), already standardized to M3 fields (``CUNM``, ``CUA1``..., ``CSCD``)."""

    email: str  # as in the shop; normalized by the sync
    customer_id: int  # PrestaShop id (the first seen for this e-mail)
    address: MappingABC[str, str]  # M3 fields from AddressRules.standardize
    language: str | None = None  # LNCD
    address_id: int | None = None  # the PrestaShop address ``address`` was made from
    division: str | None = None  # DIVI of CRS610MI/Add: its first order's shop's (mapping ``shops``)


@dataclass
class CustomerOutcome:
    """Per normalized e-mail: the M3 customer number, or the error."""

    numbers: dict[str, str] = field(default_factory=dict)  # email -> CUNO
    created: list[str] = field(default_factory=list)  # emails created in M3 by this call
    found: list[str] = field(default_factory=list)  # emails already in M3 (bound now, nothing created)
    busy: list[str] = field(default_factory=list)  # another run is creating them right now
    # e-mails bound to the M3 customer their shop customer already has (an e-mail changed in the shop)
    rebound: list[str] = field(default_factory=list)
    errors: dict[str, SyncError] = field(default_factory=dict)


def shop_fields(email: str, address: MappingABC[str, str]) -> dict[str, str]:
    """The shop-owned fields of an M3 customer (:data:`SHOP_FIELDS`) from a normalized e-mail and the
    M3 address fields of ``AddressRules.fit``: every address field present (``""``: blank), and
    ``MAIL`` unless the e-mail is longer than M3's 50 characters (then M3 cannot hold it and the id
    map keeps it). One definition for the creation and for later changes."""
    fields = {name: str(address.get(name) or "") for name in ADDRESS_FIELDS}
    if 0 < len(email) <= MAIL_LENGTH:
        fields["MAIL"] = email
    return fields


def upsert_customers(
    records: Iterable[CustomerRecord],
    *,
    m3: M3Client,
    store: Store,
    mapping: Mapping,
    stale_after: timedelta = timedelta(minutes=2),
) -> CustomerOutcome:
    """Make sure each record's e-mail has an M3 customer; one bulk ``CRS610MI/Add`` for the new ones.

    An e-mail another run is creating right now is reported ``busy`` (that run binds it); a claim
    older than ``stale_after`` whose binding never came is taken over (its holder died).
    """
    outcome = CustomerOutcome()
    wanted: dict[str, CustomerRecord] = {}
    for record in records:
        try:
            email = normalize_email(record.email)
        except SyncError as error:
            outcome.errors[str(record.email)] = error
            continue
        wanted.setdefault(email, record)
    if not wanted:
        return outcome
    bound = id_map.bindings_for(store, ENTITY, wanted)
    for email, found in bound.items():
        outcome.numbers[email] = found.target_key
    new = [email for email in wanted if email not in bound]
    prefix = mapping.erp.customer_number_prefix
    got = id_map.claim_for_work(
        store, ENTITY, {e: customer_number(e, prefix) for e in new}, stale_after=stale_after
    )
    # a run that finished between our read and our claim has bound and released: read again
    late = id_map.bindings_for(store, ENTITY, got)
    for email, found in late.items():
        outcome.numbers[email] = found.target_key
        outcome.found.append(email)
    id_map.release(store, ENTITY, late)
    mine = [e for e in new if e in got and e not in late]
    outcome.busy.extend(e for e in new if e not in got)
    # a claim taken over from a dead run: that run may have created the customer before dying, and
    # then M3 refuses the Add ("already exists") and the look-up after it binds the customer
    try:
        mine = _rebind_changed_emails(mine, wanted, outcome, store)
        _create(mine, wanted, outcome, m3=m3, store=store, mapping=mapping)
    finally:  # on every way out, so a failed create never leaves another run facing a held claim
        id_map.release(store, ENTITY, [e for e in new if e in got and e not in late])
    return outcome


def _rebind_changed_emails(
    emails: list[str], wanted: dict[str, CustomerRecord], outcome: CustomerOutcome, store: Store
) -> list[str]:
    """Bind the e-mails (claimed by this caller) whose shop customer is already an M3 customer to
    that customer, as a second e-mail of it; returns the others, which need a new customer."""
    known = id_map.bindings_for(store, SHOP_CUSTOMER, [wanted[e].customer_id for e in emails])
    rows = []
    for email in emails:
        binding = known.get(str(wanted[email].customer_id))
        if binding is not None:
            rows.append((email, binding.target_key, None, {"ps_customer_id": wanted[email].customer_id,
                                                            "rebound": True}))  # fmt: skip
            outcome.numbers[email] = binding.target_key
            outcome.found.append(email)
            outcome.rebound.append(email)
    id_map.bind_many(store, ENTITY, rows)
    return [e for e in emails if e not in outcome.rebound]


def upsert_customer(record: CustomerRecord, *, m3: M3Client, store: Store, mapping: Mapping) -> str:
    """One customer; returns its ``CUNO`` or raises its SyncError."""
    outcome = upsert_customers([record], m3=m3, store=store, mapping=mapping)
    if outcome.errors:
        raise next(iter(outcome.errors.values()))
    return outcome.numbers[normalize_email(record.email)]


def _add_fields(email: str, record: CustomerRecord, mapping: Mapping) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "CUNO": customer_number(email, mapping.erp.customer_number_prefix),
        "CUTM": mapping.erp.customer_template,
        "YREF": f"PrestaShop customer {record.customer_id}"[:30],
    }
    fields.update((name, value) for name, value in shop_fields(email, record.address).items() if value)
    language = record.language or mapping.erp.customer_language
    if language:
        fields["LNCD"] = language
    division = record.division or mapping.erp.division
    if division:
        fields["DIVI"] = division
    return fields


def _create(
    emails: list[str],
    wanted: dict[str, CustomerRecord],
    outcome: CustomerOutcome,
    *,
    m3: M3Client,
    store: Store,
    mapping: Mapping,
) -> None:
    """Create the customers of ``emails`` (claimed by this caller) and bind them."""
    if not emails:
        return
    prefix = mapping.erp.customer_number_prefix
    numbers = {e: customer_number(e, prefix) for e in emails}
    to_add = list(emails)
    existing: dict[str, dict[str, str]] = {}
    calls = [("CRS610MI", "Add", _add_fields(e, wanted[e], mapping)) for e in to_add]
    results = m3.bulk(calls, max_per_request=mapping.orders.bulk_size) if calls else []
    unsure: list[str] = []
    failed: dict[str, SyncError] = {}
    created: list[str] = []
    for email, result in zip(to_add, results, strict=True):
        if result.ok:
            created.append(email)
        elif isinstance(result.error, M3TransactionError) and result.error.field == "CUNO":
            unsure.append(email)  # "already exists": verify it is ours below
        elif isinstance(result.error, M3GatewayError) and result.error.may_have_committed:
            unsure.append(email)
        else:
            failed[email] = LoadError.from_m3(result.error or RuntimeError("unknown"), context=email)
    if unsure:
        found = _existing({e: numbers[e] for e in unsure}, m3, mapping)
        existing.update(found)
        for email in unsure:
            if email not in found:
                failed[email] = LoadError(
                    "customer_not_created",
                    "CUNO",
                    f"CRS610MI/Add for {email} ({numbers[email]}) failed and the customer is not in M3",
                )
    for email, record in list(existing.items()):
        mail = record.get("MAIL", "").strip().lower()
        if mail and mail != email:
            failed[email] = LoadError(
                "customer_number_collision",
                "CUNO",
                f"M3 customer {numbers[email]} belongs to {mail}, not {email}; bind it by hand",
            )
            del existing[email]
    rows = [(e, numbers[e], None, _binding_data(e, wanted[e], e in created)) for e in [*created, *existing]]
    id_map.bind_many(store, ENTITY, rows)
    id_map.bind_many(
        store, SHOP_CUSTOMER, [(wanted[e].customer_id, numbers[e], None, {}) for e in [*created, *existing]]
    )
    for email in created:
        outcome.numbers[email] = numbers[email]
        outcome.created.append(email)
    for email in existing:
        outcome.numbers[email] = numbers[email]
        outcome.found.append(email)
    outcome.errors.update(failed)


def _binding_data(email: str, record: CustomerRecord, created: bool) -> dict[str, Any]:
    """What the id map keeps with a customer this call bound: the shop customer and address it was
    made from and, when this call created it, the shop-owned fields as sent (the base of the update
    pass's merge; a customer found in M3 has none, so the update pass brings it in step)."""
    data: dict[str, Any] = {"created": created, "ps_customer_id": record.customer_id}
    if record.address_id:
        data["address_id"] = record.address_id
    if created:
        data["sent"] = shop_fields(email, record.address)
    return data


def _existing(numbers: dict[str, str], m3: M3Client, mapping: Mapping) -> dict[str, dict[str, str]]:
    """The customers among ``numbers`` that exist in M3 (``GetBasicData`` in one bulk request)."""
    emails = list(numbers)
    results = m3.bulk(
        [("CRS610MI", "GetBasicData", {"CUNO": numbers[e]}) for e in emails],
        max_per_request=mapping.orders.bulk_size,
    )
    found = {}
    for email, result in zip(emails, results, strict=True):
        if result.ok and result.records:
            found[email] = result.records[0]
        elif not result.ok and not isinstance(result.error, M3TransactionError):
            raise result.error or RuntimeError("CRS610MI/GetBasicData failed")  # cannot tell: stop
    return found
