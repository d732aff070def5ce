"""CRS610MI, customer interface (§11.3): customers created from a template (``Add``, numbered by
the emulator when ``CUNO`` is omitted), changed (``ChgBasicData``), their extra addresses
(``AddAddress``) and their reads.

``ChgBasicData`` changes only the fields given (a blank input leaves a field as it is, ``?`` blanks
it), refuses a ``CHNO`` that is not the customer's change number any more (changed by another user
since it was read), and moves the change number, ``LMDT`` and ``LMTS`` (so ``LstByNumber`` with
``LMTS`` lists the customer as changed)."""

from __future__ import annotations

from prestashop_infor.sandbox.infor.models.programs.base import Fields, Program, Records
from prestashop_infor.sandbox.infor.models.reads import read_table
from prestashop_infor.sandbox.infor.models.records import Customer, CustomerAddress
from prestashop_infor.sandbox.infor.models.values import (
    MSG_EXISTS,
    MSG_NOT_FOUND,
    MSG_WRONG_STATE,
    M3Failure,
)

#: Add inputs kept on the customer record (lower-case attribute of ``Customer``).
CUSTOMER_FIELDS = ("CUA1", "CUA2", "CUA3", "CUA4", "PONO", "TOWN", "CSCD", "ECAR", "PHNO", "MAIL", "CUCD",
                   "LNCD", "ALCU", "YREF")  # fmt: skip
#: ChgBasicData inputs kept on the customer record; the others are accepted and not kept.
CHANGEABLE_FIELDS = ("CUNM", "CUA1", "CUA2", "CUA3", "CUA4", "PONO", "TOWN", "CSCD", "ECAR", "PHNO", "MAIL",
                     "LNCD", "ALCU", "YREF", "CUTP", "STAT")  # fmt: skip


class CRS610MI(Program):
    name = "CRS610MI"
    reads = read_table(
        customer=(
            "GetBasicData", "GetFinancial", "GetOrderInfo", "GetRentalData", "GetServOrdInfo", "LstByMarketDim",
            "LstByName", "LstByNumber", "LstBySearchKey",
        ),
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
