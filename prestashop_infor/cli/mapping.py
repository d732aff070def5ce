"""``prestashop-infor mapping suggest``: read the shop and M3 and write a draft mapping, each suggestion
with its evidence, for a person to review."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from prestashop_infor.cli.arguments import add_source_argument
from prestashop_infor.cli.configuration import ConfigurationError, _settings_now
from prestashop_infor.cli.terminal import _Progress
from prestashop_infor.infor import M3Client
from prestashop_infor.prestashop import PrestashopClient
from prestashop_infor.settings import SettingsError


def cmd_mapping_suggest(args: argparse.Namespace) -> int:
    """Read both systems and write a draft mapping.yaml (``reviewed: false``) for a person to check."""
    from collections import Counter

    import httpx

    from prestashop_infor.infor.client import M3Error
    from prestashop_infor.infor.ionapi import InforAuthError
    from prestashop_infor.prestashop.client import PrestashopError
    from prestashop_infor.sync.mapping_suggestions import render_draft, suggest_mapping

    output = Path(args.output)
    # refused before anything is read: reading a large shop takes a while
    if output.is_dir():
        raise ConfigurationError(f"--output {output} is a folder; give the path of the file to write")
    if output.exists() and not args.force:
        raise ConfigurationError(
            f"{output} already exists; pass --force to overwrite it, or choose another --output"
        )
    if not output.parent.is_dir():
        raise ConfigurationError(f"--output {output}: the folder {output.parent} does not exist")
    settings = _settings_now(args.source)
    try:
        url, key = settings.require_prestashop()
        credentials = settings.ionapi_credentials()
    except SettingsError as exc:
        raise ConfigurationError(f"{exc}; `mapping suggest` reads the shop and M3") from None
    try:
        prestashop = PrestashopClient(
            url, key, time_zone=settings.prestashop_time_zone, shops=settings.prestashop_shops
        )
    except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
        zone = settings.variable("PRESTASHOP_TIME_ZONE")
        raise ConfigurationError(f"{zone}={settings.prestashop_time_zone!r}: {exc}") from None

    with prestashop, M3Client(credentials) as m3, _Progress("reading") as bar:

        def progress(step: str) -> None:  # a spinner on a terminal, else one line a step (for logs)
            if bar.shown:
                bar.step(f"reading {step}", advance=0)
            else:
                print(f"reading {step}", file=sys.stderr, flush=True)

        try:
            suggestions = suggest_mapping(prestashop, m3, progress)
        except PrestashopError as exc:
            raise ConfigurationError(
                f"cannot read the shop at {prestashop.base_url} (PRESTASHOP_URL): {exc}"
            ) from None
        except (M3Error, InforAuthError, httpx.HTTPError) as exc:
            raise ConfigurationError(
                f"cannot read M3 tenant {credentials.tenant} (INFOR_IONAPI_FILE): {exc}"
            ) from None
    text = render_draft(suggestions, source=f"{prestashop.base_url} and M3 tenant {credentials.tenant}")
    with output.open("w" if args.force else "x", encoding="utf-8") as draft:
        draft.write(text)
    counts = Counter(s.confidence for s in suggestions.suggestions if not s.todo)
    todos = sum(1 for s in suggestions.suggestions if s.todo)
    print(f"wrote {output}: {counts['high']} high, {counts['medium']} medium, {counts['low']} low confidence "
          f"suggestions, {todos} TODO(s) to fill in")  # fmt: skip
    print(
        "Check every suggestion against its evidence, then set `reviewed: true`: until then the mapping is refused."
    )
    return 0


def _add_mapping_commands(commands: Any) -> None:
    mapping = commands.add_parser("mapping", help="the mapping configuration: suggest a draft")
    actions = mapping.add_subparsers(dest="mapping_command", required=True)
    suggest = actions.add_parser(
        "suggest",
        help="read both systems and write a draft mapping.yaml, each suggestion with its evidence, for review",
        description="Reads the shop (PRESTASHOP_URL, PRESTASHOP_API_KEY) and M3 (INFOR_IONAPI_FILE or "
        "INFOR_IONAPI_<KEY>) and writes a draft mapping with reviewed: false, which the integration refuses "
        "until a person has checked every suggestion and set reviewed: true. Writes nothing to either system.",
    )
    suggest.add_argument("--output", default="mapping.draft.yaml", help="the draft to write")
    suggest.add_argument("--force", action="store_true", help="overwrite --output if it exists")
    add_source_argument(suggest)
    suggest.set_defaults(handler=cmd_mapping_suggest)
