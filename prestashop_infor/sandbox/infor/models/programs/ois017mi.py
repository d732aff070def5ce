"""OIS017MI, sales price lists (``models/prices.py``): heads, item lines, quantity breaks, and reads.

A list is addressed by ``PRRF``, ``CUCD``, ``FVDT`` and ``CUNO``, blank when not given (the list for
any customer): the reads and writes of one list never mix the lists sharing its name.

- Heads: ``AddPriceList`` (every mandatory input of the spec; an unknown currency or customer, a
  valid-to before the valid-from or a list that exists fails), ``ChgPriceList`` (valid-to, texts,
  exchange rate type; a blank input leaves a field as it is, ``?`` blanks it), ``DelPriceList`` (with
  its lines), ``GetPriceList``, ``LstPriceList`` (every list from the keys given on, ``NFTR`` leading
  keys filtering).
- Lines: ``AddBasePrice`` (an item of the item master, once per list, from and to dates within the
  list's), ``UpdBasePrice``, ``DelBasePrice``, ``GetBasePrice``, ``LstBasePrice`` (one list's lines by
  item).
- Quantity breaks: ``AddGradSlsPrc`` (``SAPR``, or the line's price times ``PCOF``), ``UpdGradSlsPrc``,
  ``DelGradSlsPrc``, ``LstGradSlsPrc`` (one line's breaks by lowest quantity ``QTYL``).

Scale keys (``AddScaleKey`` ...) and mass updates (``UpdPriceList``) are not served; scales, formulas
and matrix start values on lines are refused (``MSG_NOT_EMULATED``), their reads find nothing.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from prestashop_infor.sandbox.infor.models.programs.base import Fields, Program, Records
from prestashop_infor.sandbox.infor.models.reads import ReadRule, read_table
from prestashop_infor.sandbox.infor.models.records import BasePrice, PriceList
from prestashop_infor.sandbox.infor.models.values import (
    CLEAR,
    MSG_NOT_EMULATED,
    MSG_WRONG_STATE,
    M3Failure,
    mandatory,
    parse_date,
    parse_decimal,
)

#: Line inputs the emulator does not model: scales, formulas and matrix start values.
UNMODELLED = {"FMID": "Formula", "RESI": "Result identity", "MXID": "Scale", "SGGU": "Scale unit of measure",
              "OBV1": "Start value 1", "OBV2": "Start value 2", "OBV3": "Start value 3"}  # fmt: skip
#: ChgPriceList inputs kept on the head besides LVDT (lower-case attributes); the others are kept as given.
HEAD_TEXTS = ("TX40", "TX15", "CRTP")


class OIS017MI(Program):
    name = "OIS017MI"
    reads = {
        "LstPriceList": ReadRule("price_list"),
        # a list's customer left blank is the list for any customer, not any list
        "GetPriceList": ReadRule("price_list", blank=("CUNO",)),
        "GetBasePrice": ReadRule("base_price", blank=("CUNO",)),
        "LstBasePrice": ReadRule("base_price", blank=("CUNO",)),
        "LstGradSlsPrc": ReadRule("graduated_price", blank=("CUNO",)),
    } | read_table(not_kept=("GetScaleKey", "LstScaleKey"))  # scale keys

    # -- heads ---------------------------------------------------------------------------------

    def AddPriceList(self, f: Fields) -> Records:
        self.m3.add_price_list(
            f["PRRF"], f["CUCD"], self._date(f, "FVDT"), self._date(f, "LVDT"), f["TX40"],
            cuno=f.get("CUNO", ""), tx15=f.get("TX15", ""), crtp=f["CRTP"], fields=f,
        )  # fmt: skip
        return []

    def ChgPriceList(self, f: Fields) -> Records:
        plist = self._list(f)
        if f.get("TX40") == CLEAR:
            raise mandatory("TX40", "Description")
        lvdt = self._date(f, "LVDT") if "LVDT" in f else None
        texts = {name.lower(): "" if f[name] == CLEAR else f[name] for name in HEAD_TEXTS if name in f}
        self.m3.change_price_list(plist, lvdt, **texts)
        kept = {name: value for name, value in f.items() if name not in ("PRRF", "CUCD", "FVDT", "CUNO")}
        plist.fields.update({name: "" if value == CLEAR else value for name, value in kept.items()})
        return []

    def DelPriceList(self, f: Fields) -> Records:
        self.m3.delete_price_list(self._list(f))
        return []

    # -- lines ---------------------------------------------------------------------------------

    def AddBasePrice(self, f: Fields) -> Records:
        self._refuse_unmodelled(f)
        self.m3.add_base_price(
            self._list(f), f["ITNO"], self._amount(f, "SAPR"), vfdt=parse_date(f, "VFDT"),
            lvdt=parse_date(f, "LVDT"), sacd=self._quantity(f) if "SACD" in f else 1, spun=f.get("SPUN", ""),
            ntcd=f.get("NTCD", ""), cmno=f.get("CMNO", ""),
        )  # fmt: skip
        return []

    def UpdBasePrice(self, f: Fields) -> Records:
        self._refuse_unmodelled(f)
        plist, line = self._line(f)
        texts = {name.lower(): "" if f[name] == CLEAR else f[name] for name in ("NTCD", "CMNO") if name in f}
        lvdt = parse_date(f, "LVDT") if f.get("LVDT") != CLEAR else None
        self.m3.change_base_price(
            plist, line, sapr=parse_decimal(f, "SAPR", None), lvdt=lvdt, sacd=self._quantity(f),
            spun=f.get("SPUN"), **texts,
        )  # fmt: skip
        if f.get("LVDT") == CLEAR:
            line.lvdt = None  # valid as long as the list
        return []

    def DelBasePrice(self, f: Fields) -> Records:
        self._refuse_unmodelled(f)
        self.m3.delete_base_price(*self._line(f))
        return []

    # -- quantity breaks -----------------------------------------------------------------------

    def AddGradSlsPrc(self, f: Fields) -> Records:
        self._refuse_unmodelled(f)
        _, line = self._line(f)
        sapr, pcof = parse_decimal(f, "SAPR", None), parse_decimal(f, "PCOF", None)
        if sapr is None and pcof is None:
            raise mandatory("SAPR", "Sales price")
        self.m3.set_price_break(line, self._amount(f, "QTYL"), sapr, pcof, new=True)
        return []

    def UpdGradSlsPrc(self, f: Fields) -> Records:
        self._refuse_unmodelled(f)
        _, line = self._line(f)
        sapr, pcof = parse_decimal(f, "SAPR", None), parse_decimal(f, "PCOF", None)
        self.m3.set_price_break(line, self._amount(f, "QTYL"), sapr, pcof, new=False)
        return []

    def DelGradSlsPrc(self, f: Fields) -> Records:
        self._refuse_unmodelled(f)
        _, line = self._line(f)
        self.m3.delete_price_break(line, self.m3.price_break(line, self._amount(f, "QTYL")))
        return []

    # -- helpers -------------------------------------------------------------------------------

    @staticmethod
    def _date(f: Fields, name: str) -> date:
        value = parse_date(f, name)
        if value is None:
            raise mandatory(name, {"FVDT": "Valid from", "LVDT": "Valid to"}[name])
        return value

    @staticmethod
    def _amount(f: Fields, name: str) -> Decimal:
        value = parse_decimal(f, name, None)
        assert value is not None  # a mandatory input: validated before the rule runs
        return value

    @staticmethod
    def _quantity(f: Fields) -> int | None:
        value = parse_decimal(f, "SACD", None)
        if value is not None and value != value.to_integral_value():
            raise M3Failure(MSG_WRONG_STATE, f"Sales price quantity {f['SACD']} must be whole units", "SACD")
        return None if value is None else int(value)

    def _list(self, f: Fields) -> PriceList:
        return self.m3.price_list(f["PRRF"], f["CUCD"], self._date(f, "FVDT"), f.get("CUNO", ""))

    def _line(self, f: Fields) -> tuple[PriceList, BasePrice]:
        plist = self._list(f)
        return plist, self.m3.base_price(plist, f["ITNO"], parse_date(f, "VFDT"))

    @staticmethod
    def _refuse_unmodelled(f: Fields) -> None:
        for name, label in UNMODELLED.items():
            if f.get(name):
                raise M3Failure(
                    MSG_NOT_EMULATED,
                    f"{label} ({name}) is not kept by this emulator: its price lists have no scales, formulas "
                    "or matrix keys",
                    name,
                )
