"""Infor side of the integration: ION API authentication, the M3 MI REST client, typed records.

The emulator of the ION API gateway + M3 lives in :mod:`prestashop_infor.sandbox.infor`.
"""

from prestashop_infor.infor.client import (
    BulkResult,
    M3Client,
    M3CompanyError,
    M3Error,
    M3GatewayError,
    M3TransactionError,
    wire_value,
)
from prestashop_infor.infor.ionapi import InforAuthError, IonApiCredentials, IonApiFileError, TokenManager

__all__ = [
    "BulkResult",
    "InforAuthError",
    "IonApiCredentials",
    "IonApiFileError",
    "M3Client",
    "M3CompanyError",
    "M3Error",
    "M3GatewayError",
    "M3TransactionError",
    "TokenManager",
    "wire_value",
]
