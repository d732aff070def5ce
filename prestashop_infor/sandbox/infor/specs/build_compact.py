"""Build the emulator's compact M3 program facts from the full Swagger specs.

The M3 emulator needs a few facts per MI transaction: its inputs (name, required, numeric or not,
maximum length, description) and its outputs (name, maximum length), in the order the spec lists
them. The full Swagger exports they come from stay in the test fixtures
(``prestashop_infor_tests/fixtures/infor/m3-swagger/``, their licence is unclear); this script
extracts the facts into ``m3_programs.json`` next to it, the only spec file the emulator reads::

    .venv/bin/python -m prestashop_infor.sandbox.infor.specs.build_compact          # rewrite
    .venv/bin/python -m prestashop_infor.sandbox.infor.specs.build_compact --check  # compare only

The output is deterministic (programs and transactions sorted, fields in spec order, one transaction
per line) so a test can prove the shipped file is what this script makes of the fixtures.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from prestashop_infor.sandbox.infor.specs import COMMON_PARAMETERS

HERE = Path(__file__).resolve().parent
COMPACT_FILE = HERE / "m3_programs.json"
SWAGGER_DIR = HERE.parents[3] / "prestashop_infor_tests" / "fixtures" / "infor" / "m3-swagger"

_MAX_LENGTH = re.compile(r"\((\d+)\)\s*$")


def _length(description: str) -> int:
    match = _MAX_LENGTH.search(description)
    return int(match.group(1)) if match else 0


def compact_program(spec: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """One Swagger spec -> (program, {title, version, transactions})."""
    program, _, title = spec["info"]["title"].partition(" - ")
    transactions: dict[str, Any] = {}
    for route, operations in spec["paths"].items():
        operation = operations["get"]
        inputs = []
        for parameter in operation["parameters"]:
            if parameter["name"] in COMMON_PARAMETERS:
                continue
            description = parameter.get("description", "")
            inputs.append(
                [
                    parameter["name"],
                    bool(parameter.get("required", False)),
                    "N" if parameter.get("type") == "number" else "A",
                    _length(description),
                    _MAX_LENGTH.sub("", description).strip(),
                ]
            )
        result = operation["responses"]["200"]["schema"]["properties"]["results"]["items"]
        example = result["properties"]["records"]["items"].get("example", {})
        outputs = [[name, _length(text)] for name, text in example.items()]
        transactions[route.strip("/")] = {"in": inputs, "out": outputs}
    return program.strip(), {
        "title": title.strip(),
        "version": str(spec["info"].get("version", "")),
        "transactions": dict(sorted(transactions.items())),
    }


def build(folder: Path = SWAGGER_DIR) -> dict[str, Any]:
    """program -> {title, version, transactions: {name: {in: [...], out: [...]}}} from every
    ``*.swagger.json`` in ``folder``."""
    programs = {}
    for path in sorted(folder.glob("*.swagger.json")):
        program, facts = compact_program(json.loads(path.read_text(encoding="utf-8")))
        programs[program] = facts
    if not programs:
        raise FileNotFoundError(f"no *.swagger.json in {folder}")
    return dict(sorted(programs.items()))


def render(programs: dict[str, Any]) -> str:
    """The compact file's text: plain JSON, one transaction per line."""

    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    lines = ["{"]
    for p, (program, facts) in enumerate(programs.items()):
        lines.append(f"{dump(program)}:{{")
        lines.append(f"{dump('title')}:{dump(facts['title'])},")
        lines.append(f"{dump('version')}:{dump(facts['version'])},")
        lines.append(f"{dump('transactions')}:{{")
        items = list(facts["transactions"].items())
        for t, (name, transaction) in enumerate(items):
            comma = "," if t < len(items) - 1 else ""
            lines.append(f"{dump(name)}:{dump(transaction)}{comma}")
        lines.append("}}" + ("," if p < len(programs) - 1 else ""))
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--swagger", type=Path, default=SWAGGER_DIR, help="folder of *.swagger.json")
    parser.add_argument("--out", type=Path, default=COMPACT_FILE)
    parser.add_argument("--check", action="store_true", help="only compare, exit 1 when it differs")
    args = parser.parse_args(argv)
    text = render(build(args.swagger))
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print(f"{args.out}: {'up to date' if same else 'differs from the specs'}")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(text):,} characters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
