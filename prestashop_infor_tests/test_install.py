"""How the project installs: ``make demo`` installs the product from its lock and nothing else (no apt,
no browser), ``make test`` the dev tools from theirs, runs ruff and ``dagster definitions validate``,
then checks the outside programs; the locks in requirements/ hold every requirement of pyproject.toml
at a version it accepts, each with hashes; every dependency has an upper bound; the programs the tests
need are installed with apt only as root on Debian, and named with how to install them anywhere else."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from prestashop_infor_tests import tools

REPO = Path(__file__).resolve().parents[1]
LOCKS = REPO / "requirements"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
# Each lock and the extras of pyproject.toml it installs on top of the product's dependencies.
EXTRAS_OF_LOCK = {
    "product.lock": (),
    "dev.lock": ("dev",),
    "docker.lock": ("docker",),
    "k8s.lock": ("k8s",),
}
# Versioned by release year, data only: there is no major to bound (pyproject.toml says so too).
UNBOUNDED = {"tzdata"}


def _executable(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def _recorder(path: Path, log: Path, exit_code: int = 0) -> Path:
    """A program that writes its name and arguments to ``log`` and exits ``exit_code``."""
    loud = f'echo "{path.name} must not be called here" >&2\n' if exit_code else ""
    return _executable(path, f'#!/bin/sh\necho "{path.name} $*" >> "{log}"\n{loud}exit {exit_code}\n')


# -- make -----------------------------------------------------------------------------------------


@pytest.fixture
def checkout(tmp_path: Path) -> tuple[Path, dict[str, str], Path]:
    """A copy of the Makefile, pyproject.toml and the locks, with a .venv whose programs only record
    their calls, and a PATH with no Chromium where apt-get, apt and sudo fail loudly."""
    folder, log = tmp_path / "checkout", tmp_path / "calls.log"
    folder.mkdir()
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(REPO / name, folder / name)
    shutil.copytree(LOCKS, folder / "requirements")
    venv_bin = folder / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    for program in ("python", "prestashop-infor", "ruff", "dagster"):
        _recorder(venv_bin / program, log)
    path = tmp_path / "bin"
    path.mkdir()
    for program in ("apt-get", "apt", "sudo"):
        _recorder(path / program, log, exit_code=97)
    (path / "touch").symlink_to(shutil.which("touch"))  # the stamps
    assert shutil.which("chromium", path=str(path)) is None
    return folder, {"PATH": str(path), "HOME": str(tmp_path)}, log


def _make(checkout: tuple[Path, dict[str, str], Path], target: str) -> list[str]:
    """The calls ``make target`` made, one line each."""
    folder, environment, log = checkout
    log.write_text("")
    done = subprocess.run(
        [shutil.which("make"), target], cwd=folder, env=environment, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return log.read_text().splitlines()


def test_make_demo_installs_the_locked_product_and_never_calls_apt(checkout):
    folder = checkout[0]
    assert _make(checkout, "demo") == [
        "python -m pip install --quiet --require-hashes -r requirements/product.lock",
        "python -m pip install --quiet --no-deps -e .",
        "python -m compileall -q prestashop_infor",  # the bytecode each run worker would compile
        "prestashop-infor demo",
    ]
    # a second call is fast: the stamp holds until pyproject.toml or the lock changes
    assert _make(checkout, "demo") == ["python -m compileall -q prestashop_infor", "prestashop-infor demo"]
    later = (folder / ".venv" / ".installed-product").stat().st_mtime + 10
    os.utime(folder / "requirements" / "product.lock", (later, later))
    assert _make(checkout, "demo")[0].endswith("-r requirements/product.lock")


def test_make_test_installs_the_dev_lock_lints_validates_and_checks_the_tools_before_the_tests(checkout):
    assert _make(checkout, "test") == [
        "python -m pip install --quiet --require-hashes -r requirements/dev.lock",
        "python -m pip install --quiet --no-deps -e .",
        "ruff check prestashop_infor prestashop_infor_tests benchmarks",
        "ruff format --check prestashop_infor prestashop_infor_tests benchmarks",
        "dagster definitions validate -w workspace.yaml",
        "python -m prestashop_infor_tests.tools",
        "python -m compileall -q prestashop_infor",
        "python -m pytest -n 2",
    ]


def test_a_fresh_make_demo_creates_the_virtualenv_without_apt_or_a_browser(tmp_path: Path):
    """On a machine with no .venv: what `make demo` would run (`make -n`), from the venv on."""
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(REPO / name, tmp_path / name)
    shutil.copytree(LOCKS, tmp_path / "requirements")
    plan = subprocess.run([shutil.which("make"), "-n", "demo"], cwd=tmp_path, capture_output=True, text=True, check=True)  # fmt: skip
    assert "-m venv .venv" in plan.stdout and "-r requirements/product.lock" in plan.stdout, plan.stdout
    for word in ("apt", "sudo", "chromium", "playwright", "dev.lock"):
        assert word not in plan.stdout, plan.stdout


def test_make_refuses_a_python_older_than_3_11_with_a_message(tmp_path: Path):
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(REPO / name, tmp_path / name)
    shutil.copytree(LOCKS, tmp_path / "requirements")
    old = _executable(
        tmp_path / "python3.10", "#!/bin/sh\nexit 1\n"
    )  # what `sys.version_info < (3, 11)` exits
    done = subprocess.run([shutil.which("make"), "install", f"PYTHON={old}"], cwd=tmp_path, capture_output=True, text=True)  # fmt: skip
    assert done.returncode != 0
    assert "needs Python 3.11 or newer" in done.stderr and "PYTHON=python3.12" in done.stderr, done.stderr
    assert not (tmp_path / ".venv").exists()


# -- the locks ------------------------------------------------------------------------------------


def _lock(name: str) -> dict[str, list[tuple[Version, str, int]]]:
    """A lock's entries by package: (version, marker, number of hashes); a package may appear more
    than once, for different Python versions or platforms."""
    entries: dict[str, list[tuple[Version, str, int]]] = {}
    text = (LOCKS / name).read_text(encoding="utf-8").replace("\\\n", " ")
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement, *hashes = line.split(" --hash=")
        parsed = Requirement(requirement)
        (specifier,) = parsed.specifier
        assert specifier.operator == "==", f"{name}: {line} is not pinned"
        entry = (Version(specifier.version), str(parsed.marker or ""), len(hashes))
        entries.setdefault(canonicalize_name(parsed.name), []).append(entry)
    return entries


def _requirements(*extras: str) -> list[Requirement]:
    project = PYPROJECT["project"]
    listed = project["dependencies"] + [
        r for extra in extras for r in project["optional-dependencies"][extra]
    ]
    return [Requirement(r) for r in listed]


@pytest.mark.parametrize("lock", sorted(EXTRAS_OF_LOCK))
def test_each_lock_holds_every_requirement_of_pyproject_at_a_version_it_accepts(lock: str):
    entries = _lock(lock)
    for requirement in _requirements(*EXTRAS_OF_LOCK[lock]):
        pinned = entries.get(canonicalize_name(requirement.name))
        assert pinned, f"{requirement} is not in requirements/{lock}: run `make lock`"
        for version, _marker, _hashes in pinned:
            assert requirement.specifier.contains(version, prereleases=True), (
                f"requirements/{lock} pins {requirement.name}=={version}, which pyproject.toml's "
                f"{requirement} refuses: run `make lock`"
            )
    assert all(hashes for pinned in entries.values() for _, _, hashes in pinned), (
        f"{lock}: an entry without hashes"
    )


def test_the_dev_and_image_locks_run_the_products_versions():
    product = _lock("product.lock")
    for lock in ("dev.lock", "docker.lock", "k8s.lock"):
        entries = _lock(lock)
        for name, pinned in product.items():
            assert entries.get(name) == pinned, (
                f"{name}: {lock} has {entries.get(name)}, product.lock {pinned}"
            )


def test_every_dependency_has_an_upper_bound():
    optional = PYPROJECT["project"]["optional-dependencies"]
    listed = _requirements(*optional) + [Requirement(r) for r in PYPROJECT["build-system"]["requires"]]
    unbounded = [
        str(r)
        for r in listed
        if r.name not in UNBOUNDED and not any(s.operator in ("<", "<=", "==", "~=") for s in r.specifier)
    ]
    assert not unbounded, f"no upper bound on {unbounded}"


def test_the_build_backend_accepts_the_spdx_licence_field():
    assert PYPROJECT["project"]["license"] == "Apache-2.0"  # a string, not a table: setuptools 77+
    (setuptools,) = [
        Requirement(r) for r in PYPROJECT["build-system"]["requires"] if r.startswith("setuptools")
    ]
    assert not setuptools.specifier.contains("76.2") and setuptools.specifier.contains("77.0")


# -- the programs the tests need ------------------------------------------------------------------


@pytest.fixture
def bare_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH without Chromium, no Chromium of Playwright's, no PRESTASHOP_INFOR_TEST_CHROMIUM."""
    path = tmp_path / "bin"
    path.mkdir()
    monkeypatch.setenv("PATH", str(path))
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "no-browsers"))
    monkeypatch.delenv(tools.CHROMIUM_ENV, raising=False)
    return path


def test_without_apt_a_missing_chromium_is_named_with_how_to_install_it(bare_path: Path, tmp_path: Path):
    log = tmp_path / "calls.log"
    _recorder(bare_path / "apt-get", log, exit_code=97)
    with pytest.raises(tools.MissingTool) as missing:
        tools.ensure(use_apt=False)
    message = str(missing.value)
    assert (
        "Chromium is missing: the demo test's visit of the UI (prestashop_infor_tests/ui_visit.py) needs it"
        in message
    )
    assert "sudo apt-get install chromium" in message
    assert ".venv/bin/python -m playwright install chromium" in message
    assert tools.CHROMIUM_ENV in message
    assert not log.exists(), "apt-get was called"


def test_as_root_on_debian_a_missing_chromium_is_installed_with_apt(bare_path: Path, tmp_path: Path):
    log = tmp_path / "calls.log"
    # this apt-get installs a `chromium` on the PATH, as Debian's package does
    chromium, chmod = bare_path / "chromium", shutil.which("chmod", path=os.defpath)
    install = f'printf "#!/bin/sh\\n" > "{chromium}"; {chmod} +x "{chromium}"'
    _executable(bare_path / "apt-get", f'#!/bin/sh\necho "apt-get $*" >> "{log}"\ncase "$1" in install) {install};; esac\n')  # fmt: skip
    assert tools.ensure((tools.CHROMIUM,), use_apt=True) == ["chromium"]
    assert log.read_text().splitlines() == ["apt-get update -qq", "apt-get install -y -qq chromium"]
    assert tools.CHROMIUM.find() == chromium
    assert tools.ensure((tools.CHROMIUM,), use_apt=True) == []  # present now: nothing installed again


def test_a_failing_apt_is_reported_with_its_own_words(bare_path: Path):
    _executable(
        bare_path / "apt-get", '#!/bin/sh\necho "E: Unable to locate package chromium" >&2\nexit 100\n'
    )
    with pytest.raises(
        tools.MissingTool, match=r"`apt-get update -qq` failed \(exit 100\): E: Unable to locate"
    ):
        tools.ensure((tools.CHROMIUM,), use_apt=True)


def test_the_chromium_named_by_the_environment_is_used_and_checked(
    bare_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    browser = _executable(tmp_path / "chrome", "#!/bin/sh\n")
    monkeypatch.setenv(tools.CHROMIUM_ENV, str(browser))
    assert tools.CHROMIUM.find() == browser
    monkeypatch.setenv(tools.CHROMIUM_ENV, str(tmp_path / "no-such-chrome"))
    with pytest.raises(
        tools.MissingTool, match=f"{tools.CHROMIUM_ENV}=.*no-such-chrome is not an executable file"
    ):
        tools.ensure(use_apt=True)


def test_the_tools_check_exits_1_with_its_message(bare_path: Path, tmp_path: Path):
    """`make test`'s first step, as a command: a Chromium that is named but not there."""
    environment = {**os.environ, "PRESTASHOP_INFOR_TEST_CHROMIUM": str(tmp_path / "missing")}
    done = subprocess.run(
        [sys.executable, "-m", "prestashop_infor_tests.tools"],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "is not an executable file" in done.stderr, done.stderr
