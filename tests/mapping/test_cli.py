"""``acorn mappings check|test`` and ``acorn translate``."""

from __future__ import annotations

import importlib.util
import json

import pytest
from click.testing import CliRunner

from gateway.cli import cli
from gateway.cli.mapping_cmds import partner_overlays
from gateway.config import ConfigError, load_partners
from gateway.mapping import default_root

BROKEN = """version: 1
standard: x12
document: "850"
direction: inbound
versions: ["004010"]
canonical: purchase_order
fields:
  po_number: BEG3
"""


def profile(name: str, mappings: str = "[example-partner-850]") -> str:
    """A partner profile that validates, listing ``mappings`` (YAML text) as its overlays."""
    return (
        f'name: {name}\nstandard: x12\nversion: "004010"\n'
        f"identities: {{x12: {{isa_qualifier: ZZ, isa_id: {name.upper()}}}}}\n"
        "our_identity: {x12: {isa_qualifier: ZZ, isa_id: US}}\n"
        f"mappings: {mappings}\n"
    )


def readers_available() -> bool:
    return importlib.util.find_spec("gateway.edi.x12.reader") is not None


def canonical_available() -> bool:
    try:
        from gateway.canonical import DOCUMENT_TYPES  # noqa: F401
    except ImportError:
        return False
    return True


def test_check_lists_problems_with_file_and_line(tmp_path) -> None:
    (tmp_path / "x12-004010-850-in.yaml").write_text(BROKEN)
    result = CliRunner().invoke(cli, ["mappings", "check", "--mappings", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{tmp_path / 'x12-004010-850-in.yaml'}:8: po_number: 'BEG3' is not a path" in result.output


def test_check_of_bad_yaml(tmp_path) -> None:
    (tmp_path / "bad.yaml").write_text("version: 1\nfields: [\n")
    result = CliRunner().invoke(cli, ["mappings", "check", "--mappings", str(tmp_path)])
    assert result.exit_code == 2
    assert "bad.yaml:" in result.output and "not valid YAML" in result.output


def test_mappings_test_reports_a_missing_expectation(tmp_path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "one.edi").write_text("not edi at all")
    result = CliRunner().invoke(cli, ["mappings", "test", "--mappings", str(tmp_path)])
    assert result.exit_code == 2
    assert "FAIL one.edi: no one.expected.json" in result.output


def test_mappings_test_update_then_pass_then_diff(tmp_path) -> None:
    (tmp_path / "tests").mkdir()
    edi = tmp_path / "tests" / "one.edi"
    edi.write_text("not edi at all")
    runner = CliRunner()
    assert runner.invoke(cli, ["mappings", "test", "--update", "--mappings", str(tmp_path)]).exit_code == 0
    expected = tmp_path / "tests" / "one.expected.json"
    assert json.loads(expected.read_text())["documents"] == []
    assert runner.invoke(cli, ["mappings", "test", "--mappings", str(tmp_path)]).exit_code == 0
    expected.write_text(json.dumps({"documents": [{"type": "invoice"}], "errors": []}))
    result = runner.invoke(cli, ["mappings", "test", "--mappings", str(tmp_path)])
    assert result.exit_code == 2
    assert "FAIL one.edi" in result.output and "--- one.edi (expected)" in result.output
    assert '-      "type": "invoice"' in result.output


def test_translate_of_non_edi_exits_2(tmp_path) -> None:
    path = tmp_path / "x.edi"
    path.write_text("hello")
    result = CliRunner().invoke(cli, ["translate", str(path), "--json"])
    assert result.exit_code == 2
    assert "UNKNOWN_FORMAT" in result.output


def test_partner_overlays_from_profile(tmp_path) -> None:
    (tmp_path / "acme.yaml").write_text(profile("acme"))
    (tmp_path / "plain.yaml").write_text(profile("plain", "[]"))
    assert partner_overlays("acme", tmp_path, default_root()) == ["example-partner-850"]
    assert partner_overlays("plain", tmp_path, default_root()) == []
    with pytest.raises(ConfigError, match=r"unknown partner 'nobody'.*known partners: acme, plain"):
        partner_overlays("nobody", tmp_path, default_root())


@pytest.mark.skipif(
    not (readers_available() and canonical_available()), reason="readers/canonical not built yet"
)
def test_translate_json_contract_and_misfit() -> None:
    sample = default_root() / "tests" / "x12-850-amazon.edi"
    result = CliRunner().invoke(cli, ["translate", str(sample), "--json"])
    assert result.exit_code == 0, result.output
    (doc,) = json.loads(result.output)
    assert doc["type"] == "purchase_order" and doc["po_number"] == "T3XB8ZQ4"
    assert doc["lines"][0]["item"]["asin"] == "B07XJ8C8F5"
    assert doc["lines"][0]["unit_price"] == "12.50"


def _gateway_home(tmp_path, *, broken: bool = False):
    """A gateway folder whose config.yaml names its own mappings and partners folders."""
    import shutil

    home = tmp_path / "gw"
    shutil.copytree(default_root(), home / "edi-maps")
    (home / "profiles").mkdir(parents=True)
    (home / "profiles" / "acme.yaml").write_text(profile("acme"))
    if broken:
        (home / "edi-maps" / "x12-004010-850-in.yaml").write_text(BROKEN)
    config = home / "config.yaml"
    config.write_text(
        "database_url: sqlite:///acorn.sqlite3\npartners_dir: profiles\nmappings_dir: edi-maps\n"
    )
    return home, config


def test_the_commands_read_the_folders_the_gateway_reads(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("ACORN_MAPPINGS", raising=False)
    home, config = _gateway_home(tmp_path, broken=True)
    result = CliRunner().invoke(cli, ["--config", str(config), "mappings", "check"])
    assert result.exit_code == 2
    assert (
        f"{home / 'edi-maps' / 'x12-004010-850-in.yaml'}:8: po_number: 'BEG3' is not a path" in result.output
    )
    # --mappings and ACORN_MAPPINGS still win over the configuration
    ok = CliRunner().invoke(
        cli, ["--config", str(config), "mappings", "check", "--mappings", str(default_root())]
    )
    assert ok.exit_code == 0 and f"OK in {default_root()}" in ok.output
    monkeypatch.setenv("ACORN_MAPPINGS", str(default_root()))
    assert CliRunner().invoke(cli, ["--config", str(config), "mappings", "check"]).exit_code == 0


@pytest.mark.skipif(
    not (readers_available() and canonical_available()), reason="readers/canonical not built yet"
)
def test_translate_applies_overlays_of_the_configured_partners_folder(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("ACORN_MAPPINGS", raising=False)
    _home, config = _gateway_home(tmp_path)
    sample = default_root() / "tests" / "x12-850-amazon.edi"
    args = ["--config", str(config), "translate", str(sample), "--json", "--partner", "acme"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    (doc,) = json.loads(result.output)
    assert doc["lines"][0]["list_price"] is None  # the overlay removes it
    assert doc["lines"][1]["item"]["vendor_sku"] == "ACM-200"  # and reads VP only


def test_a_broken_configuration_is_reported_not_ignored(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("ACORN_MAPPINGS", raising=False)
    config = tmp_path / "config.yaml"
    config.write_text("mappings_dirr: elsewhere\n")
    result = CliRunner().invoke(cli, ["--config", str(config), "mappings", "check"])
    assert result.exit_code == 2
    assert "mappings_dirr" in result.output and "Traceback" not in result.output


@pytest.mark.skipif(
    not (readers_available() and canonical_available()), reason="readers/canonical not built yet"
)
def test_translate_reads_and_checks_canonical_xml(tmp_path) -> None:
    from gateway.canonical.xml import to_xml
    from gateway.mapping import MappingRegistry
    from gateway.mapping.translate import translate_payload

    (_, shipment), *_ = translate_payload(
        default_root() / "tests" / "x12-856-4010-sotpi.edi", MappingRegistry()
    ).documents
    good = tmp_path / "ship.xml"
    good.write_bytes(to_xml(shipment))
    result = CliRunner().invoke(cli, ["translate", str(good), "--json"])
    assert result.exit_code == 0, result.output
    (doc,) = json.loads(result.output)
    assert doc["type"] == "shipment" and doc["shipment_id"] == shipment.shipment_id
    bad = tmp_path / "bad.xml"
    bad.write_bytes(to_xml(shipment).replace(b"<ship_date>", b"<ship_date>x", 1))
    result = CliRunner().invoke(cli, ["translate", str(bad)])
    assert result.exit_code == 2 and "element ship_date" in result.output


def test_a_missing_or_empty_mappings_folder_is_an_error_not_ok(tmp_path) -> None:
    result = CliRunner().invoke(cli, ["mappings", "check", "--mappings", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "no such mappings folder" in result.output
    result = CliRunner().invoke(cli, ["mappings", "check", "--mappings", str(tmp_path)])
    assert result.exit_code == 2 and "no mapping files here" in result.output


# -- --partner: the partner is looked up as the gateway looks it up ------------------------

SAMPLE = default_root() / "tests" / "x12-850-amazon.edi"


def _translate_with(tmp_path, partner: str, *extra: str):
    """``acorn translate SAMPLE --partner P`` over the shipped mappings, partners in ``tmp_path/partners``."""
    import shutil

    shutil.copytree(default_root(), tmp_path / "mappings")
    args = ["translate", str(SAMPLE), "--mappings", str(tmp_path / "mappings"), "--partner", partner, *extra]
    return CliRunner().invoke(cli, args)


def test_translate_with_an_unknown_partner_exits_2_naming_it_and_the_folder(tmp_path) -> None:
    (tmp_path / "partners").mkdir()
    (tmp_path / "partners" / "acme.yaml").write_text(profile("acme"))
    result = _translate_with(tmp_path, "nosuch")
    assert result.exit_code == 2
    assert f"{tmp_path / 'partners'}: unknown partner 'nosuch'" in result.output
    assert "known partners: acme" in result.output
    assert "purchase_order" not in result.output  # nothing translated without the partner's overlays


def test_translate_with_no_partners_folder_says_so(tmp_path) -> None:
    result = _translate_with(tmp_path, "acme")
    assert result.exit_code == 2
    assert f"{tmp_path / 'partners'}: unknown partner 'acme': there is no such folder" in result.output


def test_translate_with_a_profile_that_is_not_yaml_names_file_and_line(tmp_path) -> None:
    (tmp_path / "partners").mkdir()
    (tmp_path / "partners" / "x.yaml").write_text("name: x\nmappings: [a\n")
    result = _translate_with(tmp_path, "x")
    assert result.exit_code == 2
    assert f"{tmp_path / 'partners' / 'x.yaml'}:3: not valid YAML" in result.output
    assert isinstance(result.exception, SystemExit)  # a clean exit 2, not a traceback


def test_translate_refuses_mappings_given_as_one_name_as_the_gateway_does(tmp_path) -> None:
    (tmp_path / "partners").mkdir()
    (tmp_path / "partners" / "x.yaml").write_text(profile("x", "example-partner-850"))
    result = _translate_with(tmp_path, "x")
    assert result.exit_code == 2
    assert f"{tmp_path / 'partners' / 'x.yaml'}:6: mappings:" in result.output
    assert "no mapping named 'e'" not in result.output
    with pytest.raises(ConfigError) as gateway:  # the gateway's own loading says the same
        load_partners(tmp_path / "partners")
    assert all(str(problem) in result.output for problem in gateway.value.problems)


def test_translate_with_an_overlay_that_does_not_exist_names_profile_and_overlay(tmp_path) -> None:
    (tmp_path / "partners").mkdir()
    (tmp_path / "partners" / "x.yaml").write_text(profile("x", "[example-partner-850, nosuch-overlay]"))
    result = _translate_with(tmp_path, "x")
    assert result.exit_code == 2
    assert (
        f"{tmp_path / 'partners' / 'x.yaml'}:6: mappings[1]: partner x: overlay 'nosuch-overlay' not found"
        in result.output
    )
    assert "is broken" not in result.output


@pytest.mark.skipif(
    not (readers_available() and canonical_available()), reason="readers/canonical not built yet"
)
def test_mappings_test_applies_the_partner_a_pair_names_and_fails_an_unknown_one(tmp_path) -> None:
    import shutil

    mappings = tmp_path / "mappings"
    shutil.copytree(default_root(), mappings)
    (tmp_path / "partners").mkdir()
    (tmp_path / "partners" / "acme.yaml").write_text(profile("acme"))
    pair = mappings / "tests" / "x12-850-amazon.partner"
    pair.write_text("acme\n")
    result = CliRunner().invoke(cli, ["mappings", "test", "--mappings", str(mappings)])
    assert result.exit_code == 2
    assert "FAIL x12-850-amazon.edi" in result.output
    assert '+      "partner": "acme",' in result.output  # translated with acme's overlays
    pair.write_text("nosuch\n")
    result = CliRunner().invoke(cli, ["mappings", "test", "--mappings", str(mappings)])
    assert result.exit_code == 2
    assert "FAIL x12-850-amazon.edi: x12-850-amazon.partner: partner 'nosuch' cannot be used" in result.output
    assert f"{tmp_path / 'partners'}: unknown partner 'nosuch'" in result.output
    assert "1 failed" in result.output
