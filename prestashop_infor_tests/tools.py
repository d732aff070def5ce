"""The programs from outside PyPI that the test suite needs, where it finds them, and what to install
when one is missing. ``make test`` runs ``python -m prestashop_infor_tests.tools`` before pytest: as
root on Debian it installs what is missing with apt; anywhere else it stops with a message that names
exactly what to install. ``make demo`` never comes here (the product needs none of these).

Chromium for the UI visit of the demo test (``ui_visit.py``, run by ``test_demo.py``) is, in this order:
``PRESTASHOP_INFOR_TEST_CHROMIUM`` (a Chromium or Chrome executable), ``chromium`` on ``PATH``
(Debian's package), or the Chromium that ``python -m playwright install chromium`` downloaded.
The PrestaShop module's tests (``test_prestashop_module.py``) need ``php`` on ``PATH`` (Debian's
``php-cli``) with its SQLite driver (``php-sqlite3``: the tests' stand-in database) and its curl
extension (``php-curl``: the module sends with it), and ``phpunit`` on ``PATH`` (Debian's ``phpunit``,
which brings ``php-parser`` along).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CHROMIUM_ENV = "PRESTASHOP_INFOR_TEST_CHROMIUM"


class MissingTool(Exception):
    """A program the tests need is not there; the message says what to install."""


@dataclass(frozen=True)
class Tool:
    name: str
    needed_by: str
    find: Callable[[], Path | None]  # where it is, None when absent; raises MissingTool when misconfigured
    debian_package: str
    elsewhere: tuple[str, ...]  # the other ways to get it, each a command or a setting

    def missing(self) -> str:
        ways = [f"on Debian: sudo apt-get install {self.debian_package}", *self.elsewhere]
        lines = "\n".join(f"  - {way}" for way in ways)
        return f"{self.name} is missing: {self.needed_by} needs it. Install it one of these ways:\n{lines}"


def chromium() -> Path | None:
    """The Chromium the demo test drives through the UI, or None when there is none."""
    configured = os.environ.get(CHROMIUM_ENV, "").strip()
    if configured:
        path = Path(configured).expanduser()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise MissingTool(f"{CHROMIUM_ENV}={configured} is not an executable file: point it at a "
                              "Chromium or Chrome executable, or unset it")  # fmt: skip
        return path
    on_path = shutil.which("chromium")
    if on_path:
        return Path(on_path)
    return _playwrights_chromium()


def _playwrights_chromium() -> Path | None:
    """The browser ``python -m playwright install chromium`` puts in Playwright's own folder."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        path = Path(playwright.chromium.executable_path)
    return path if path.is_file() else None


CHROMIUM = Tool(
    name="Chromium",
    needed_by="the demo test's visit of the UI (prestashop_infor_tests/ui_visit.py)",
    find=chromium,
    debian_package="chromium",
    elsewhere=(
        "anywhere, macOS too: .venv/bin/python -m playwright install chromium (Playwright's own build)",
        f"or set {CHROMIUM_ENV} to a Chromium or Chrome executable",
    ),
)


def php() -> Path | None:
    """The PHP command line, or None when there is none."""
    on_path = shutil.which("php")
    return Path(on_path) if on_path else None


def phpunit() -> Path | None:
    """PHPUnit, or None when there is none."""
    on_path = shutil.which("phpunit")
    return Path(on_path) if on_path else None


def _php_with(extension: str) -> Callable[[], Path | None]:
    """Finds the PHP command line when it has ``extension``; None without PHP or without it."""

    def find() -> Path | None:
        path = php()
        if path is None:
            return None
        check = [str(path), "-r", f"exit(extension_loaded('{extension}') ? 0 : 1);"]
        done = subprocess.run(check, capture_output=True, timeout=60)
        return path if done.returncode == 0 else None

    return find


PRESTASHOP_MODULE_TESTS = "the PrestaShop module's tests prestashop_infor_tests/test_prestashop_module.py"
PHP = Tool(
    name="PHP (command line)",
    needed_by=PRESTASHOP_MODULE_TESTS,
    find=php,
    debian_package="php-cli",
    elsewhere=("on macOS: brew install php", "elsewhere: a PHP 7.2 or newer command line named php on PATH"),
)
PHP_SQLITE = Tool(
    name="PHP's SQLite driver (pdo_sqlite)",
    needed_by=PRESTASHOP_MODULE_TESTS,
    find=_php_with("pdo_sqlite"),
    debian_package="php-sqlite3",
    elsewhere=("on macOS: Homebrew's php has it", "elsewhere: enable pdo_sqlite in the php on PATH"),
)
PHP_CURL = Tool(
    name="PHP's curl extension",
    needed_by=PRESTASHOP_MODULE_TESTS,
    find=_php_with("curl"),
    debian_package="php-curl",
    elsewhere=("on macOS: Homebrew's php has it", "elsewhere: enable curl in the php on PATH"),
)
PHPUNIT = Tool(
    name="PHPUnit",
    needed_by=PRESTASHOP_MODULE_TESTS,
    find=phpunit,
    debian_package="phpunit",
    elsewhere=("on macOS: brew install phpunit", "elsewhere: PHPUnit 9 named phpunit on PATH"),
)
TOOLS = (CHROMIUM, PHP, PHP_SQLITE, PHP_CURL, PHPUNIT)


def required(tool: Tool) -> str:
    """The path of ``tool`` for a test that needs it; the test fails (never skips) saying what to
    install when it is missing or misconfigured."""
    import pytest

    try:
        path = tool.find()
    except MissingTool as exc:
        pytest.fail(str(exc), pytrace=False)
    if path is None:
        pytest.fail(tool.missing(), pytrace=False)
    return str(path)


def may_use_apt() -> bool:
    """Root on Debian (or a derivative): the only place the tests install programs themselves."""
    return os.geteuid() == 0 and Path("/etc/debian_version").exists() and shutil.which("apt-get") is not None


def ensure(tools: tuple[Tool, ...] = TOOLS, *, use_apt: bool) -> list[str]:
    """Every tool present, installing the missing ones with apt when ``use_apt``; returns the Debian
    packages installed. Raises MissingTool naming what to install for the ones still missing."""
    missing = [tool for tool in tools if tool.find() is None]
    if not missing:
        return []
    packages = [tool.debian_package for tool in missing]
    if use_apt:
        print(f"installing {' '.join(packages)} with apt-get (root on Debian)", flush=True)
        environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *packages]):
            done = subprocess.run(command, env=environment, capture_output=True, text=True)
            if done.returncode != 0:
                raise MissingTool(f"`{' '.join(command)}` failed (exit {done.returncode}): "
                                  f"{(done.stderr or done.stdout).strip()[-2000:]}")  # fmt: skip
        missing = [tool for tool in missing if tool.find() is None]
    if missing:
        raise MissingTool("\n".join(tool.missing() for tool in missing))
    return packages


def main() -> int:
    try:
        ensure(use_apt=may_use_apt())
    except MissingTool as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
