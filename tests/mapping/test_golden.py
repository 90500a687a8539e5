"""Golden tests: every sample of mappings/tests/ end to end (reader + mapping + canonical JSON).

``mappings/tests/NAME.edi`` is translated as ``acorn translate`` does and compared with
``NAME.expected.json`` (refresh with ``acorn mappings test --update`` after an intended
change), with the overlays of the partner ``NAME.partner`` names when there is one (looked up
in ``partners/`` as ``acorn mappings test`` does). The sample helper's
``tests/data/messages/*.edi`` carry hand-written contract-level expectations: those must be
a subset of our output. Round trips go through the real
writers: canonical Invoice -> outbound mapping -> write -> parse -> inbound mapping.
"""

from __future__ import annotations

import importlib.util
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.cli.mapping_cmds import partner_overlays
from gateway.mapping import MappingRegistry, default_root
from gateway.mapping.translate import translate_payload

GOLDEN = default_root() / "tests"
MESSAGES = Path(__file__).resolve().parents[1] / "data" / "messages"


def _ready() -> bool:
    if importlib.util.find_spec("gateway.edi.x12.reader") is None:
        return False
    if importlib.util.find_spec("gateway.edi.edifact.reader") is None:
        return False
    try:
        from gateway.canonical import DOCUMENT_TYPES  # noqa: F401
    except ImportError:
        return False
    return True


pytestmark = pytest.mark.skipif(not _ready(), reason="the readers or the canonical models are not built yet")


@pytest.fixture(scope="module")
def registry() -> MappingRegistry:
    return MappingRegistry(default_root())


@pytest.mark.parametrize("edi", sorted(GOLDEN.glob("*.edi")), ids=lambda p: p.name)
def test_golden_pair(registry, edi: Path) -> None:
    expected_path = edi.with_suffix(".expected.json")
    assert expected_path.is_file(), f"no {expected_path.name}: run acorn mappings test --update and review it"
    partner_file = edi.with_suffix(".partner")
    partner = partner_file.read_text(encoding="utf-8").strip() if partner_file.is_file() else None
    partners = default_root().parent / "partners"
    overlays = partner_overlays(partner, partners, default_root()) if partner else []
    result = translate_payload(edi, registry, overlays, partner)
    actual = {"documents": result.to_json(), "errors": result.errors}
    assert actual == json.loads(expected_path.read_text(encoding="utf-8"))
    assert result.errors == []


def is_subset(expected: object, actual: object) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and is_subset(v, actual[k]) for k, v in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(is_subset(e, a) for e, a in zip(expected, actual, strict=True))
        )
    return expected == actual


def _expected_of(edi: Path) -> Path:
    return edi.with_name(edi.name.removesuffix(".edi") + ".expected.json")


@pytest.mark.parametrize(
    "edi",
    sorted(p for p in MESSAGES.glob("*.edi") if _expected_of(p).is_file()) if MESSAGES.is_dir() else [],
    ids=lambda p: p.name,
)
def test_sample_messages_contract_fields(registry, edi: Path) -> None:
    expected_path = _expected_of(edi)
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    result = translate_payload(edi, registry)
    if isinstance(expected, dict) and "error" in json.dumps(expected) and not result.ok:
        return  # a sample written to fail: failing with a reason is the expectation
    assert result.errors == []
    assert is_subset(expected, result.to_json()), json.dumps(result.to_json(), indent=1)


def sample_invoice(kind: str, standard: str) -> dict:
    """An invoice as invoicing builds it, holding only what the standard carries back.

    X12 810 states no line amount, tax category or taxable amount; EDIFACT INVOIC does.
    Both state the line count (CTT / CNT), which the inbound mapping reads back.
    """
    edifact = standard == "edifact"
    lines = [
        {
            "line_no": "1",
            "quantity": Decimal(24),
            "uom": "EA",
            "unit_price": Decimal("12.50"),
            "amount": Decimal("300.00") if edifact else None,
            "item": {"asin": "B07XJ8C8F5", "ean": "0840006647121"},
            "taxes": [{"type": "VAT", "rate": Decimal(19), "amount": Decimal("57.00")}] if edifact else [],
        },
        {
            "line_no": "2",
            "quantity": Decimal(6),
            "uom": "CA",
            "case_size": Decimal(6),
            "unit_price": Decimal("60.00"),
            "amount": Decimal("360.00") if edifact else None,
            "item": {"asin": "B08L5WHFT9", "vendor_sku": "ACM-200"},
            "description": "Acorn bulb 6-pack",
        },
    ]
    return {
        "invoice_number": "INV-77" if kind == "invoice" else "CN-78",
        "invoice_date": date(2024, 2, 3),
        "kind": kind,
        "po_number": "T3XB8ZQ4",
        "po_date": date(2024, 1, 15),
        "shipment_id": "ASN1",
        "vendor_code": "ACME01",
        "original_invoice_number": "INV-70" if kind == "credit_note" else None,
        "return_authorization": "RMA-1" if kind == "credit_note" else None,
        "return_date": date(2024, 2, 1) if kind == "credit_note" else None,
        "currency": "EUR" if edifact else "USD",
        "ship_to_location": "ABE2",
        "parties": [
            {"role": "remit_to", "id": "ACME01", "id_qualifier": "92", "name": "Acme Lighting"},
            {"role": "bill_to", "id": "AMZN", "id_qualifier": "92", "name": "Amazon.com Services LLC"},
            {"role": "ship_to", "id": "ABE2", "id_qualifier": "92"},
        ],
        "terms": {"type_code": "01", "net_days": 30, "discount_percent": Decimal(2), "discount_days": 10},
        "allowances_charges": [
            {"indicator": "allowance", "code": "C310", "amount": Decimal("10.00"), "description": "Co-op"}
        ],
        "taxes": [{"type": "VAT", "rate": Decimal(19), "amount": Decimal("57.00")}] if edifact else [],
        "lines": lines,
        "line_count": 2,
        "total": Decimal("707.00") if edifact else Decimal("650.00"),
    }


@pytest.mark.parametrize("kind", ["invoice", "credit_note"])
@pytest.mark.parametrize("standard", ["x12", "edifact"])
def test_invoice_round_trip_through_the_writers(registry, kind: str, standard: str) -> None:
    from gateway.canonical import Invoice
    from gateway.edi import parse
    from gateway.mapping.emit import Envelope, write_documents

    invoice = Invoice.model_validate(sample_invoice(kind, standard))
    assert invoice.computed_total() == invoice.total
    version, document = ("004010", "810") if standard == "x12" else ("D96A", "INVOIC")
    mapping = registry.select(standard, version, document, "outbound")
    envelope = Envelope("ACMEVENDOR", "AMAZON", "000000042", datetime(2024, 2, 3, 9, 30), group_control="42")
    data = write_documents(mapping, [invoice], envelope)
    parsed = parse(data)
    assert parsed.ok, parsed.errors
    (tx,) = parsed.transactions
    assert (tx.type, tx.version) == (document, version)
    assert registry.translate(tx) == invoice
