"""``prestashop-infor dlq``: the dead-letter queue of the store. List and show the letters, replay them
through their sync code, or resolve them by hand."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from prestashop_infor.cli.arguments import _dlq_stage, _dlq_state, _letter_id, _positive, add_source_argument
from prestashop_infor.cli.configuration import (
    DATABASE_SCHEMA,
    DATABASE_URL,
    MAPPING_FILE,
    ConfigurationError,
    _open_store,
    _settings_now,
)
from prestashop_infor.cli.terminal import _print_table, _Progress
from prestashop_infor.infor import M3Client
from prestashop_infor.prestashop import PrestashopClient
from prestashop_infor.settings import SettingsError
from prestashop_infor.sync import dead_letters
from prestashop_infor.sync.mapping import Mapping as SyncMapping
from prestashop_infor.sync.mapping import MappingError, load_mapping

MESSAGE_WIDTH = 60


def _replay_clients(
    wanted: set[str], source: str | None = None
) -> tuple[PrestashopClient | None, M3Client | None, SyncMapping | None]:
    """The shop client, the M3 client and the mapping (of the installation ``source``), those of
    them ``wanted``."""
    settings = _settings_now(source)
    prestashop = m3 = mapping = None
    if "mapping" in wanted:
        path = settings.mapping_file
        try:
            mapping = load_mapping(path)
        except MappingError as exc:
            raise ConfigurationError(
                f"{settings.variable(MAPPING_FILE)}: {exc}" if path else str(exc)
            ) from None
    if "m3" in wanted:  # always with the mapping (dead_letters.needs): its company and division
        erp = mapping.erp if mapping is not None else None
        m3 = M3Client(
            _settings_call(settings.ionapi_credentials),
            company=erp.company if erp else None,
            division=erp.division if erp else None,
        )
    if "prestashop" in wanted:
        url, key = _settings_call(settings.require_prestashop)
        time_zone = settings.prestashop_time_zone
        try:
            prestashop = PrestashopClient(url, key, time_zone=time_zone, shops=settings.prestashop_shops)
        except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
            if m3 is not None:
                m3.close()
            raise ConfigurationError(
                f"{settings.variable('PRESTASHOP_TIME_ZONE')}={time_zone!r}: {exc}"
            ) from None
    return prestashop, m3, mapping


def _settings_call(read: Any) -> Any:
    try:
        return read()
    except SettingsError as exc:
        raise ConfigurationError(f"{exc}; `dlq replay` needs it") from None


def _one_line(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ")


def _label(letter: Any) -> str:
    return f"letter {letter.id} ({letter.entity} {letter.key}, {letter.stage})"


def cmd_dlq_list(args: argparse.Namespace) -> int:
    state = None if args.state == "all" else args.state
    with _open_store(source=args.source) as store:
        letters = store.dead_letters(state=state, entity=args.entity, stage=args.stage)
    total = len(letters)
    if args.limit:
        letters = letters[: args.limit]
    if args.json:
        print(json.dumps([dead_letters.describe(letter) for letter in letters], indent=2, ensure_ascii=False))
        return 0
    if not letters:
        which = " ".join(filter(None, [args.state if state else None, args.entity, args.stage]))
        print(f"no {which + ' ' if which else ''}dead letters")
        return 0
    rows = [["ID", "ENTITY", "KEY", "STAGE", "CODE", "FIELD", "ATTEMPTS", "LAST SEEN", "STATE", "MESSAGE"]]
    for letter in letters:
        rows.append(
            [
                str(letter.id),
                letter.entity,
                letter.key,
                letter.stage,
                letter.error_code,
                letter.field or "-",
                str(letter.attempts),
                _when(letter.last_seen),
                letter.state,
                _one_line(letter.message, MESSAGE_WIDTH),
            ]
        )
    _print_table(rows)
    if total > len(letters):
        print(f"({len(letters)} of {total} shown; raise --limit to see more)")
    return 0


def cmd_dlq_show(args: argparse.Namespace) -> int:
    with _open_store(source=args.source) as store:
        (letter,) = dead_letters.letters_by_id(store, [args.id])
    described = dead_letters.describe(letter)
    if args.json:
        print(json.dumps(described, indent=2, ensure_ascii=False))
        return 0
    print(f"dead letter {letter.id}")
    for name in (
        "entity",
        "key",
        "stage",
        "state",
        "error_code",
        "field",
        "attempts",
        "first_seen",
        "last_seen",
    ):
        print(f"  {name + ':':12} {described[name] if described[name] is not None else '-'}")
    print(f"  {'message:':12} {letter.message}")
    why = dead_letters.why_not_replayable(letter)
    command = f"`dlq replay {letter.id}`" if letter.state == "open" else f"`dlq replay {letter.id} --force`"
    print(f"  {'replay:':12} {command if why is None else 'not by id: ' + why}")
    if letter.failures:
        print("failures:")
        print(json.dumps(letter.failures, indent=2, ensure_ascii=False, default=str))
    print("payload:")
    print(json.dumps(letter.payload, indent=2, ensure_ascii=False, sort_keys=True, default=str))
    return 0


def cmd_dlq_replay(args: argparse.Namespace) -> int:
    if args.all == bool(args.ids):
        raise ConfigurationError("give the ids of the letters to replay, or --all (not both)")
    if args.entity and not args.all:
        raise ConfigurationError("--entity chooses the letters of --all; with ids, leave it out")
    with _open_store(source=args.source) as store:
        if args.all:
            letters, others = dead_letters.replayable_open_letters(store, args.entity)
            for letter, why in others:
                print(f"{_label(letter)}: left open, not replayable: {why}")
            if not letters:
                print("no open dead letters to replay")
                return 0
        else:
            letters = dead_letters.letters_by_id(store, args.ids)
        prestashop, m3, mapping = _replay_clients(dead_letters.needs(letters), args.source)
        try:
            with _Progress("replaying dead letters", total=len(letters)) as progress:
                report = dead_letters.replay(
                    store,
                    [letter.id for letter in letters],
                    prestashop=prestashop,
                    m3=m3,
                    mapping=mapping,
                    force=args.force,
                    progress=lambda done: progress.step(f"letter {done.letter_id}: {done.outcome}"),
                )
        finally:
            for client in (prestashop, m3):
                if client is not None:
                    client.close()
    for result in report.results:
        label = f"letter {result.letter_id} ({result.entity} {result.key}, {result.stage})"
        line = f"{label}: {result.outcome}: {result.detail}"
        if result.outcome == dead_letters.FAILED:
            line += f" [attempt {result.attempts}, still {result.state}]"
        print(line)
    counts = {o: len(report.of(o)) for o in (dead_letters.REPLAYED, dead_letters.FAILED, dead_letters.SKIPPED,
                                              dead_letters.NOT_ATTEMPTED)}  # fmt: skip
    print(", ".join(f"{count} {outcome.replace('_', ' ')}" for outcome, count in counts.items() if count))
    if report.stopped:
        print(f"prestashop-infor dlq replay: stopped: {report.stopped}", file=sys.stderr)
    return 0 if report.ok else 1


def cmd_dlq_resolve(args: argparse.Namespace) -> int:
    with _open_store(source=args.source) as store:
        resolved = dead_letters.resolve(store, args.ids)
    for letter, state in resolved:
        print(f"{_label(letter)}: {letter.state} -> {state}")
    return 0


def _add_dlq_commands(commands: Any) -> None:
    dlq = commands.add_parser(
        "dlq",
        help="the dead-letter queue: list, show, replay, resolve",
        description=f"Records that could not be synced. The store is {DATABASE_URL} (and "
        f"{DATABASE_SCHEMA}); replay also reads PRESTASHOP_URL, PRESTASHOP_API_KEY, PRESTASHOP_TIME_ZONE, "
        f"INFOR_IONAPI_FILE or INFOR_IONAPI_<KEY>, and {MAPPING_FILE}.",
    )
    actions = dlq.add_subparsers(dest="dlq_command", required=True)

    listing = actions.add_parser("list", help="the dead letters, oldest first")
    listing.add_argument("--state", type=_dlq_state, default="open", help="open, replayed, resolved or all")
    listing.add_argument("--entity", help="only this entity (sales_order, order_status, stock, orders...)")
    listing.add_argument("--stage", type=_dlq_stage, help="only this stage: validate, map or load")
    listing.add_argument("--limit", type=_positive, help="show at most this many")
    listing.add_argument("--json", action="store_true", help="JSON instead of a table")
    add_source_argument(listing)
    listing.set_defaults(handler=cmd_dlq_list)

    show = actions.add_parser("show", help="one dead letter with its payload")
    show.add_argument("id", type=_letter_id)
    show.add_argument("--json", action="store_true", help="JSON instead of text")
    add_source_argument(show)
    show.set_defaults(handler=cmd_dlq_show)

    replay = actions.add_parser(
        "replay", help="send records through their sync code again; exit 1 if any did not go through"
    )
    replay.add_argument("ids", nargs="*", type=_letter_id, metavar="ID")
    replay.add_argument("--all", action="store_true", help="every open letter that can be replayed")
    replay.add_argument("--entity", help="with --all: only this entity")
    replay.add_argument("--force", action="store_true", help="replay letters that are not open too")
    add_source_argument(replay)
    replay.set_defaults(handler=cmd_dlq_replay)

    resolve = actions.add_parser("resolve", help="mark letters resolved (fixed by hand)")
    resolve.add_argument("ids", nargs="+", type=_letter_id, metavar="ID")
    add_source_argument(resolve)
    resolve.set_defaults(handler=cmd_dlq_resolve)
