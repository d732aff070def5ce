"""CRS610MI, customer interface (§11.3): customers created from a template (``Add``, numbered by
the emulator when ``CUNO`` is omitted), changed (``ChgBasicData``), their financial data
(``ChgFinancial``, ``GetFinancial``: credit limit and customer stop, ``models/credit.py``), their
order data (``ChgOrderInfo``: the price list table ``PLTB`` and discount percentage ``DIPC``,
``models/prices.py``), their extra addresses (``AddAddress``) and their reads.

``ChgBasicData`` changes only the fields given (a blank input leaves a field as it is, ``?`` blanks
it), refuses a ``CHNO`` that is not the customer's change number any more (changed by another user
since it was read), and moves the change number, ``LMDT`` and ``LMTS`` (so ``LstByNumber`` with
``LMTS`` lists the customer as changed). ``ChgFinancial`` does the same for the name, language and
currency, and sets credit limit 3 (``CRL3``, 0 = no limit) and the customer stop (``BLCD`` 0 or 1);
credit limits 1, 2 and 4 (``CRLM``, ``CRL2``, ``ODUD``) are refused unless 0: the emulator does not
model them, and would rather say so than keep a limit it never checks. ``ChgOrderInfo`` sets the
price list table (``PLTB``: a price list that exists, ``?`` none) and the discount percentage (``DIPC``,
0 to 100), name and language the same way; its other inputs are accepted and not kept."""

from __future__ import annotations

from decimal import Decimal

from prestashop_infor.sandbox.infor.models.programs.base import Fields, Program, Records
from prestashop_infor.sandbox.infor.models.reads import read_table
from prestashop_infor.sandbox.infor.models.records import Customer, CustomerAddress
from prestashop_infor.sandbox.infor.models.values import (
    CLEAR,
    MSG_EXISTS,
    MSG_NOT_EMULATED,
    MSG_NOT_FOUND,
    MSG_WRONG_STATE,
    M3Failure,
    money,
    parse_decimal,
)

#: Add inputs kept on the customer record (lower-case attribute of ``Customer``).
CUSTOMER_FIELDS = ("CUA1", "CUA2", "CUA3", "CUA4", "PONO", "TOWN", "CSCD", "ECAR", "PHNO", "MAIL", "CUCD",
                   "LNCD", "ALCU", "YREF")  # fmt: skip
#: ChgBasicData inputs kept on the customer record; the others are accepted and not kept.
CHANGEABLE_FIELDS = ("CUNM", "CUA1", "CUA2", "CUA3", "CUA4", "PONO", "TOWN", "CSCD", "ECAR", "PHNO", "MAIL",
                     "LNCD", "ALCU", "YREF", "CUTP", "STAT")  # fmt: skip
#: ChgFinancial inputs kept as given; CRL3 and BLCD are kept too, the others accepted and not kept.
FINANCIAL_FIELDS = ("CUNM", "LNCD", "CUCD")
#: ChgOrderInfo inputs kept as given; DIPC is kept too, the others accepted and not kept.
ORDER_INFO_FIELDS = ("CUNM", "LNCD", "PLTB")
#: The credit limits M3 has and the emulator does not model: label of each.
UNMODELLED_LIMITS = {"CRLM": "Credit limit 1 - max overdue invoices", "CRL2": "Credit limit 2 - max out.invoices",
                     "ODUD": "Credit limit 4 - max days on invoices"}  # fmt: skip


class CRS610MI(Program):
    name = "CRS610MI"
    reads = read_table(
        customer=(
            "GetBasicData", "GetOrderInfo", "GetRentalData", "GetServOrdInfo", "LstByMarketDim",
            "LstByName", "LstByNumber", "LstBySearchKey",
        ),
        customer_financial=("GetFinancial",),
        customer_address=("GetAddress", "LstAddresses"),
        not_kept=(
            # customer groups, invoice recipients, charges, templates and user-defined code tables
            "LstByGroup", "LstByInvoiceRec", "LstCustCharges", "LstTemplates", "LstUsrDefField1",
            "LstUsrDefField3", "LstUsrDefField4",
        ),
    )  # fmt: skip

    def Add(self, f: Fields) -> Records:
        extra = {name.lower(): f[name] for name in CUSTOMER_FIELDS if name in f}
        customer = self.m3.add_customer(f.get("CUNO"), f["CUNM"], cutm=f["CUTM"], **extra)
        return [{"CUNO": customer.cuno, "ERRM": ""}]

    def ChgBasicData(self, f: Fields) -> Records:
        customer = self._customer(f["CUNO"])
        self.change(customer, f, CHANGEABLE_FIELDS, ("CUNM", "Customer name"), f"Customer {customer.cuno}")
        return [{"CUNO": customer.cuno}]

    def ChgFinancial(self, f: Fields) -> Records:
        """Change the customer's financial data: credit limit 3 and customer stop (what the credit
        check reads), name, language and currency; checked in full before anything changes."""
        customer = self._customer(f["CUNO"])
        for name, label in UNMODELLED_LIMITS.items():
            if parse_decimal(f, name, Decimal(0)) != 0:
                raise M3Failure(
                    MSG_NOT_EMULATED,
                    f"{label} ({name}) is not kept by this emulator: its credit check uses credit limit 3 "
                    "(CRL3, max outstanding invoices + orders)",
                    name,
                )
        limit = parse_decimal(f, "CRL3", None)
        if limit is not None and limit < 0:
            raise M3Failure(
                MSG_WRONG_STATE, f"Credit limit 3 (CRL3) must not be negative, got {f['CRL3']}", "CRL3"
            )
        stop = f.get("BLCD")
        if stop is not None and stop.lstrip("0") not in ("", "1"):
            raise M3Failure(
                MSG_WRONG_STATE, f"Customer stop (BLCD) is 0 or 1 in this emulator, got {stop}", "BLCD"
            )
        self.change(customer, f, FINANCIAL_FIELDS, ("CUNM", "Customer name"), f"Customer {customer.cuno}")
        if limit is not None:
            customer.credit_limit = money(limit)
        if stop is not None:
            customer.credit_stop = stop.lstrip("0") == "1"
        return []

    def ChgOrderInfo(self, f: Fields) -> Records:
        """Change the customer's order data: the price list it buys by and its discount percentage."""
        customer = self._customer(f["CUNO"])
        pltb = f.get("PLTB", CLEAR)
        if pltb != CLEAR and not self.m3.price_lists_named(pltb):
            raise M3Failure(MSG_NOT_FOUND, f"Price list {pltb} does not exist", "PLTB")
        discount = parse_decimal(f, "DIPC", None)
        if discount is not None and not 0 <= discount <= 100:
            raise M3Failure(
                MSG_WRONG_STATE, f"Discount percentage (DIPC) is 0 to 100, got {f['DIPC']}", "DIPC"
            )
        self.change(customer, f, ORDER_INFO_FIELDS, ("CUNM", "Customer name"), f"Customer {customer.cuno}")
        if discount is not None:
            customer.dipc = discount
        return []

    def AddAddress(self, f: Fields) -> Records:
        customer = self._customer(f["CUNO"])
        adrt = f["ADRT"].lstrip("0") or "0"
        if adrt not in ("1", "2", "3", "4"):
            raise M3Failure(MSG_WRONG_STATE, f"Address type {f['ADRT']} is invalid", "ADRT")
        if (adrt, f["ADID"]) in customer.addresses:
            raise M3Failure(
                MSG_EXISTS, f"Address {f['ADID']} of customer {customer.cuno} already exists", "ADID"
            )
        customer.addresses[(adrt, f["ADID"])] = CustomerAddress(adrt, f["ADID"], dict(f), self.m3.next_lmts())
        return [{"CONO": self.m3.cono, "CUNO": customer.cuno, "ADRT": adrt, "ADID": f["ADID"]}]

    def _customer(self, cuno: str) -> Customer:
        customer = self.m3.customers.get(cuno)
        if customer is None:
            raise M3Failure(MSG_NOT_FOUND, f"Customer number {cuno} does not exist", "CUNO")
        return customer
