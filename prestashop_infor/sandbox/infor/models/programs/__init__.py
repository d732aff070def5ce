"""The MI programs the M3 emulator answers, one module each: the program's write rules and which
record family each of its read transactions reads (the generic read engine serves those)."""

from __future__ import annotations

from prestashop_infor.sandbox.infor.models.programs.ars040mi import ARS040MI
from prestashop_infor.sandbox.infor.models.programs.ars200mi import ARS200MI
from prestashop_infor.sandbox.infor.models.programs.base import Fields, Handler, Program, Records
from prestashop_infor.sandbox.infor.models.programs.crs610mi import CRS610MI
from prestashop_infor.sandbox.infor.models.programs.drs100mi import DRS100MI
from prestashop_infor.sandbox.infor.models.programs.mhs850mi import MHS850MI
from prestashop_infor.sandbox.infor.models.programs.mms005mi import MMS005MI
from prestashop_infor.sandbox.infor.models.programs.mms060mi import MMS060MI
from prestashop_infor.sandbox.infor.models.programs.mms200mi import MMS200MI
from prestashop_infor.sandbox.infor.models.programs.mms850mi import MMS850MI
from prestashop_infor.sandbox.infor.models.programs.mws410mi import MWS410MI
from prestashop_infor.sandbox.infor.models.programs.mws420mi import MWS420MI
from prestashop_infor.sandbox.infor.models.programs.ois017mi import OIS017MI
from prestashop_infor.sandbox.infor.models.programs.ois100mi import OIS100MI
from prestashop_infor.sandbox.infor.models.programs.ois120mi import OIS120MI
from prestashop_infor.sandbox.infor.models.programs.ois175mi import OIS175MI
from prestashop_infor.sandbox.infor.models.programs.ois275mi import OIS275MI
from prestashop_infor.sandbox.infor.models.programs.ois350mi import OIS350MI
from prestashop_infor.sandbox.infor.models.programs.ois390mi import OIS390MI

PROGRAMS: tuple[type[Program], ...] = (
    OIS100MI, OIS275MI, OIS120MI, OIS175MI, CRS610MI, MMS200MI, MMS005MI, MMS060MI, MMS850MI, MWS410MI,
    MWS420MI, MHS850MI, DRS100MI, OIS350MI, ARS200MI, ARS040MI, OIS390MI, OIS017MI,
)  # fmt: skip

__all__ = ["PROGRAMS", "Fields", "Handler", "Program", "Records"]
