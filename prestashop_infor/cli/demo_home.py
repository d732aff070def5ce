"""The demo's Dagster home: the marker (holding the demo's token) that makes a folder the demo's, and
clearing it afresh at every start, never a folder the demo did not make."""

from __future__ import annotations

import shutil
from pathlib import Path

from prestashop_infor.cli.configuration import ConfigurationError

DEMO_MARKER = ".prestashop-infor-demo"  # in a Dagster home the demo made, and may clear
# The marker's first line: a token of this project's own, which no real Dagster instance holds. The
# demo clears a home only when its marker holds it: a marker's name alone (or a dagster.yaml) is no proof.
DEMO_TOKEN = "prestashop-infor demo home 6f1d0c2e-5b8a-4e37-9a41-c3d27e90b5f8"


def _demo_marker_holds_token(home: Path) -> bool:
    """Whether ``home`` holds the marker the demo writes, with the demo's token on its first line."""
    marker = home / DEMO_MARKER
    if marker.is_symlink() or not marker.is_file():
        return False
    try:
        with marker.open(encoding="utf-8", errors="replace") as text:
            first = text.readline(len(DEMO_TOKEN) + 2)
    except OSError:
        return False
    return first.strip() == DEMO_TOKEN


def _demo_home_is_clearable(home: Path) -> bool:
    """Whether ``home`` may be cleared at start: missing or empty, or made by the demo (its marker,
    holding the demo's token). Any other folder may be someone's real instance (a ``~/.dagster_home``
    with its ``dagster.yaml``, the demo run from ``~``) and is never touched."""
    if not home.exists():
        return True
    if home.is_symlink() or not home.is_dir():
        return False
    return not any(home.iterdir()) or _demo_marker_holds_token(home)


def _fresh_demo_home(home: Path, dagster_yaml: Path) -> bool:
    """Every start of the demo begins afresh: the emulators are seeded anew, so the previous
    instance and store (runs, cursors, an id map naming M3 orders the new emulator never saw)
    would only conflict. Deletes the previous start's home (True when there was one) and makes a
    new one with the instance's ``dagster.yaml`` and the marker holding the token. Refuses (a
    ``ConfigurationError``) a home it may not clear, whoever calls it."""
    if not _demo_home_is_clearable(home):
        raise ConfigurationError(_not_a_demo_home(home))
    cleared = home.exists() and any(home.iterdir())
    if home.exists():
        shutil.rmtree(home)
    (home / "prestashop_infor").mkdir(parents=True)
    (home / DEMO_MARKER).write_text(
        f"{DEMO_TOKEN}\nMade by `prestashop-infor demo`, which deletes this folder when it starts.\n",
        encoding="utf-8",
    )
    shutil.copyfile(dagster_yaml, home / "dagster.yaml")
    return cleared


def _not_a_demo_home(home: Path) -> str:
    return (
        f"{home} is not a Dagster home made by the demo (it has no {DEMO_MARKER} holding the demo's "
        "token); the demo clears its home at every start, so choose another --dagster-home"
    )
