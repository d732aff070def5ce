"""The M3 facts the emulator ships are exactly what its generator makes of the real Swagger specs,
which stay in the test fixtures and out of the package."""

from __future__ import annotations

from pathlib import Path

import prestashop_infor
from prestashop_infor.sandbox.infor.specs import SPECS_FILE, load_specs
from prestashop_infor.sandbox.infor.specs.build_compact import SWAGGER_DIR, build, main, render
from prestashop_infor_tests.test_infor_emulator_specs import REGISTRY

FIXTURES = Path(__file__).parent / "fixtures" / "infor" / "m3-swagger"


def test_the_shipped_compact_file_is_what_the_generator_makes_of_the_fixtures():
    assert SWAGGER_DIR.resolve() == FIXTURES.resolve()
    assert SPECS_FILE.read_text(encoding="utf-8") == render(build(FIXTURES))


def test_the_generator_check_mode(tmp_path, capsys):
    out = tmp_path / "m3_programs.json"
    assert main(["--swagger", str(FIXTURES), "--out", str(out), "--check"]) == 1
    assert main(["--swagger", str(FIXTURES), "--out", str(out)]) == 0
    assert main(["--swagger", str(FIXTURES), "--out", str(out), "--check"]) == 0
    assert out.read_text(encoding="utf-8") == SPECS_FILE.read_text(encoding="utf-8")
    assert "up to date" in capsys.readouterr().out


def test_the_compact_facts_agree_with_the_swagger_specs_read_independently():
    specs = load_specs()
    assert sorted(specs) == sorted(REGISTRY)
    for program, transactions in REGISTRY.items():
        assert sorted(specs[program]) == sorted(transactions), program
        for name, facts in transactions.items():
            spec = specs[program][name]
            inputs = [(f.name, f.required, f.max_length, "number" if f.numeric else "string")
                      for f in spec.inputs.values()]  # fmt: skip
            assert inputs == facts["in"], (program, name)
            assert list(spec.outputs.items()) == list(facts["out"].items()), (program, name)


def test_no_swagger_spec_ships_in_the_package():
    package = Path(prestashop_infor.__file__).parent
    assert not list(package.rglob("*.swagger.json"))
    assert len(list(FIXTURES.glob("*.swagger.json"))) == 18 and (FIXTURES / "README.md").exists()
