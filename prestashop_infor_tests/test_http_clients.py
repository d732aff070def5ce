"""The shop's and M3's HTTP clients share one TLS context per process, one that verifies
certificates as httpx does by default (``prestashop_infor.http_clients``)."""

from __future__ import annotations

import ssl

from prestashop_infor.http_clients import new_http_client, tls_context
from prestashop_infor.infor.client import M3Client
from prestashop_infor.infor.ionapi import IonApiCredentials
from prestashop_infor.prestashop.transport import Transport


def _context_of(http) -> ssl.SSLContext:
    return http._transport._pool._ssl_context  # httpx's pool, as pinned


def test_every_client_uses_the_one_context_and_it_verifies_certificates():
    context = tls_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 0  # a CA bundle is loaded
    shop = Transport("https://shop.example", "KEY")
    credentials = IonApiCredentials.from_dict(
        {"ti": "T", "cn": "C", "ci": "ci", "cs": "cs", "iu": "https://m3.example", "pu": "https://m3.example/sso/",
         "oa": "authorize", "ot": "token", "or": "revoke", "saak": "user", "sask": "secret"}
    )  # fmt: skip
    m3 = M3Client(credentials)
    with new_http_client(timeout=1) as plain:
        assert _context_of(shop._http) is _context_of(m3._http) is _context_of(plain) is context
    shop.close()
    m3.close()
