"""The sample messages under tests/data/messages: valid ones parse cleanly, bad ones fail as meant.

Each valid ``<standard>_<version>_<doctype>_<what>.edi`` has a hand-written
``<same name without .edi>.expected.json`` (the issue 3 JSON contract, one object per business
document).
These tests check the syntax side only: the file parses with no error, holds as many
transactions as its expected JSON has documents, and each transaction is of the type its
name says. The golden translation itself is the mapping tests' job.

The X12 and EDIFACT readers are written in parallel; a test skips (with the reason) while
the reader for its standard is not importable yet.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gateway.edi.errors import EdiError, IssueCode
from gateway.edi.reader import parse

MESSAGES = Path(__file__).resolve().parent / "data" / "messages"
SAMPLES = sorted(p for p in MESSAGES.glob("*.edi") if not p.name.startswith("bad_"))
BAD = sorted(MESSAGES.glob("bad_*.edi"))

# The fields of the issue 3 JSON contract, per document type (exactly these, nothing more).
ITEM_KEYS = {"asin", "ean", "upc", "vendor_sku"}
CONTRACT: dict[str, dict[str, Any]] = {
    "purchase_order": {
        "keys": {"type", "po_number", "order_date", "currency", "lines"},
        "line": {"line_no", "quantity", "uom", "unit_price", "item"},
    },
    "shipment": {"keys": {"type", "shipment_id", "ship_date", "orders", "packages"}},
    "invoice": {
        "keys": {"type", "invoice_number", "invoice_date", "kind", "po_number", "currency", "total", "lines"},
        "line": {"quantity", "unit_price", "item"},
    },
    "return_authorization": {
        "keys": {"type", "rma_number", "lines"},
        "line": {"quantity", "item", "reason"},
    },
}
DOCTYPES = {
    "850": "purchase_order",
    "856": "shipment",
    "810": "invoice",
    "180": "return_authorization",
    "orders": "purchase_order",
    "desadv": "shipment",
    "invoic": "invoice",
    "retann": "return_authorization",
}

# bad file -> the issue codes it may legitimately produce (raised as EdiError or reported).
EXPECTED_FAILURES: dict[str, set[IssueCode]] = {
    "bad_empty.edi": {IssueCode.EMPTY_INPUT},
    "bad_binary.edi": {IssueCode.BINARY_INPUT},
    "bad_x12_850_se_count.edi": {IssueCode.X12_SE_COUNT_MISMATCH},
    "bad_x12_truncated.edi": {
        IssueCode.TRUNCATED_INPUT,
        IssueCode.X12_SE_MISSING,
        IssueCode.X12_GE_MISSING,
        IssueCode.X12_IEA_MISSING,
    },
    "bad_edifact_unt_reference.edi": {IssueCode.EDIFACT_UNT_CONTROL_MISMATCH},
}
# bad files whose envelopes are sound: they must fail later (partner lookup, mapping).
PARSE_CLEANLY = {"bad_x12_850_unknown_partner.edi": 1, "bad_x12_850_bad_date.edi": 1}


def require_reader(path: Path) -> None:
    """Skip unless the reader for the file's standard can be imported."""
    head = path.read_bytes()[:3]
    if head == b"ISA":
        pytest.importorskip("gateway.edi.x12.reader", reason="the X12 reader is not written yet")
    elif head in (b"UNA", b"UNB"):
        pytest.importorskip("gateway.edi.edifact.reader", reason="the EDIFACT reader is not written yet")


def name_parts(path: Path) -> tuple[str, str, str]:
    standard, version, doctype = path.name.split("_")[:3]
    return standard, version, doctype


def expected_documents(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))


def all_codes(parsed: Any) -> set[IssueCode]:
    issues = list(parsed.issues) + [i for t in parsed.transactions for i in t.issues]
    return {i.code for i in issues}


def test_samples_cover_every_inbound_mapping() -> None:
    covered = {name_parts(p) for p in SAMPLES}
    wanted = {("x12", "4010", d) for d in ("850", "856", "810", "180")} | {("x12", "5010", "856")}
    wanted |= {("edifact", "d96a", d) for d in ("orders", "desadv", "invoic", "retann")}
    assert wanted <= covered
    for path in SAMPLES:
        assert path.with_suffix(".expected.json").is_file(), path.name
    assert {p.name for p in BAD} == set(EXPECTED_FAILURES) | set(PARSE_CLEANLY)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_expected_json_follows_the_contract(path: Path) -> None:
    standard, _, doctype = name_parts(path)
    assert standard in {"x12", "edifact"}
    documents = expected_documents(path)
    assert isinstance(documents, list) and documents
    for doc in documents:
        assert doc["type"] == DOCTYPES[doctype]
        spec = CONTRACT[doc["type"]]
        assert set(doc) == spec["keys"]
        if doc["type"] == "shipment":
            assert doc["orders"] and doc["packages"]
            lines = [line for order in doc["orders"] for line in order["lines"]]
            assert all(set(order) == {"po_number", "lines"} for order in doc["orders"])
            assert all(set(line) == {"quantity", "item"} for line in lines)
            assert all(set(pkg) == {"sscc"} and len(pkg["sscc"]) == 18 for pkg in doc["packages"])
        else:
            lines = doc["lines"]
            assert all(set(line) == spec["line"] for line in lines)
        assert lines
        for line in lines:
            assert set(line["item"]) == ITEM_KEYS
            assert any(line["item"].values())
            assert isinstance(line["quantity"], str)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_sample_parses_cleanly(path: Path) -> None:
    require_reader(path)
    parsed = parse(path)
    assert parsed.errors == [], [str(i) for i in parsed.errors]
    assert all_codes(parsed) == set()
    assert len(parsed.transactions) == len(expected_documents(path))
    _, _, doctype = name_parts(path)
    assert {t.type.upper() for t in parsed.transactions} == {doctype.upper()}


@pytest.mark.parametrize("name", sorted(PARSE_CLEANLY))
def test_bad_business_content_parses_cleanly(name: str) -> None:
    path = MESSAGES / name
    require_reader(path)
    parsed = parse(path)
    assert parsed.ok, [str(i) for i in parsed.errors]
    assert len(parsed.transactions) == PARSE_CLEANLY[name]


@pytest.mark.parametrize("name", sorted(EXPECTED_FAILURES))
def test_bad_file_fails_as_meant(name: str) -> None:
    path = MESSAGES / name
    require_reader(path)
    wanted = EXPECTED_FAILURES[name]
    try:
        parsed = parse(path)
    except EdiError as exc:
        assert exc.code in wanted, str(exc)
        return
    assert all_codes(parsed) & wanted, [str(i) for i in parsed.issues]
    assert not parsed.ok
