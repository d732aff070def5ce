"""Several PrestaShop installations (``PRESTASHOP_INFOR_SOURCES``) on one Webservice: a multistore
whose shops sell for different M3 companies is an installation per company, each naming its shops
(``PRESTASHOP_SHOPS``). Each one's settings read alone; this checks them together."""

from __future__ import annotations

from itertools import combinations

import httpx

from prestashop_infor.settings import Settings, SettingsError


def check_shops_apart(settings: Settings) -> None:
    """Raise ``SettingsError`` when two installations (``PRESTASHOP_INFOR_SOURCES``) work for the
    same shop of the same PrestaShop: on one Webservice (a multistore whose shops are in different
    M3 companies), each must name its own shops (``PRESTASHOP_SHOPS``), none taken by another, or
    both would send the same orders and write the same stock. Installations whose shop is not set
    are left to the lanes that need it."""
    everyone = [Settings.read(), *(Settings.read(name) for name in settings.sources)]
    for first, second in combinations(everyone, 2):
        if not first.prestashop_url or _webservice(first.prestashop_url) != _webservice(
            second.prestashop_url or ""
        ):
            continue
        shared = set(first.prestashop_shops) & set(second.prestashop_shops)
        if first.prestashop_shops and second.prestashop_shops and not shared:
            continue
        names = [f"{one.source or 'main'} ({one.variable('PRESTASHOP_SHOPS')}="
                 f"{','.join(map(str, one.prestashop_shops)) or 'every shop'})" for one in (first, second)]  # fmt: skip
        raise SettingsError(
            f"the installations {names[0]} and {names[1]} work for the same shop of "
            f"{_webservice(first.prestashop_url)}: on one PrestaShop each installation names its own shops, "
            "and no shop is taken by two"
        )


def _webservice(url: str) -> str:
    """A shop URL as the Webservice it reaches (without ``/api/``, the trailing slash, the case of
    the host)."""
    parsed = httpx.URL(url.strip())
    path = parsed.path.rstrip("/").removesuffix("/api")
    return f"{parsed.scheme}://{parsed.host.lower()}" + (f":{parsed.port}" if parsed.port else "") + path
