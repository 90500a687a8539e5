"""``acorn mappings check|test`` and ``acorn translate``."""

from __future__ import annotations

import importlib.util
import json

import pytest
from click.testing import CliRunner

from gateway.cli import cli
from gateway.mapping import default_root
from gateway.mapping.translate import partner_overlays

BROKEN = """version: 1
standard: x12
document: "850"
direction: inbound
versions: ["004010"]
canonical: purchase_order
fields:
  po_number: BEG3
"""


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
    (tmp_path / "acme.yaml").write_text("name: acme\nmappings: [example-partner-850]\n")
    (tmp_path / "other.yaml").write_text("name: other\nmappings: {overlays: [a, b]}\n")
    assert partner_overlays("acme", tmp_path) == ["example-partner-850"]
    assert partner_overlays("other", tmp_path) == ["a", "b"]
    assert partner_overlays("nobody", tmp_path) == []
    assert partner_overlays(None, tmp_path) == []


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
