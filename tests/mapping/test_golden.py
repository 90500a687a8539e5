"""Golden tests: every sample of mappings/tests/ end to end (reader + mapping + canonical JSON).

``mappings/tests/NAME.edi`` is translated as ``acorn translate`` does and compared with
``NAME.expected.json`` (refresh with ``acorn mappings test --update`` after an intended
change). The sample helper's ``tests/data/messages/*.edi`` carry hand-written contract-level
expectations: those must be a subset of our output. Round trips go through the real
writers: canonical Invoice -> outbound mapping -> write -> parse -> inbound mapping.
"""

from __future__ import annotations

import importlib.util
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

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
    result = translate_payload(edi, registry)
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


@pytest.mark.parametrize(
    "edi", sorted(MESSAGES.glob("*.edi")) if MESSAGES.is_dir() else [], ids=lambda p: p.name
)
def test_sample_messages_contract_fields(registry, edi: Path) -> None:
    expected_path = edi.with_name(edi.name.removesuffix(".edi") + ".expected.json")
    if not expected_path.is_file():
        pytest.skip(f"no hand-written expectation for {edi.name}")
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    result = translate_payload(edi, registry)
    if isinstance(expected, dict) and "error" in json.dumps(expected) and not result.ok:
        return  # a sample written to fail: failing with a reason is the expectation
    assert result.errors == []
    assert is_subset(expected, result.to_json()), json.dumps(result.to_json(), indent=1)


def sample_invoice(kind: str) -> dict:
    return {
        "invoice_number": "INV-77" if kind == "invoice" else "CN-78",
        "invoice_date": date(2024, 2, 3),
        "kind": kind,
        "po_number": "T3XB8ZQ4",
        "shipment_id": "ASN1",
        "original_invoice": "INV-70" if kind == "credit_note" else None,
        "return_authorization": "RMA-1" if kind == "credit_note" else None,
        "currency": "USD",
        "remit_to": {"code": "ACME01", "name": "Acme Lighting"},
        "bill_to": {"code": "AMZN", "name": "Amazon.com Services LLC"},
        "ship_to": {"code": "ABE2"},
        "lines": [
            {
                "line_no": "1",
                "quantity": Decimal(24),
                "uom": "EA",
                "unit_price": Decimal("12.50"),
                "item": {"asin": "B07XJ8C8F5", "ean": "0840006647121"},
            },
            {
                "line_no": "2",
                "quantity": Decimal(6),
                "uom": "CA",
                "unit_price": Decimal("60.00"),
                "item": {"asin": "B08L5WHFT9", "vendor_sku": "ACM-200"},
            },
        ],
        "total": Decimal("660.00"),
    }


@pytest.mark.parametrize("kind", ["invoice", "credit_note"])
@pytest.mark.parametrize("standard", ["x12", "edifact"])
def test_invoice_round_trip_through_the_writers(registry, kind: str, standard: str) -> None:
    from gateway.canonical import DOCUMENT_TYPES
    from gateway.edi import parse
    from gateway.edi.model import EDIFACT_DEFAULT, X12_DEFAULT, OutboundGroup, OutboundInterchange

    invoice = DOCUMENT_TYPES["invoice"].model_validate(sample_invoice(kind))
    if standard == "x12":
        from gateway.edi.x12.writer import write_x12 as write

        body = registry.render(invoice, "x12", "004010", "810", "0001")
        group = OutboundGroup("IN", "ACMEVENDOR", "AMAZON", "1", "004010", [body])
        ic = OutboundInterchange(
            "ZZ",
            "ACMEVENDOR",
            "ZZ",
            "AMAZON",
            "1",
            __import__("datetime").datetime(2024, 2, 3),
            [group],
            "00401",
            X12_DEFAULT,
        )
    else:
        from gateway.edi.edifact.writer import write_edifact as write

        body = registry.render(invoice, "edifact", "D96A", "INVOIC", "1")
        group = OutboundGroup("INVOIC", "ACMEVENDOR", "AMAZON", "1", "D96A", [body], implicit=True)
        ic = OutboundInterchange(
            "14",
            "4012345000009",
            "14",
            "5450534000000",
            "1",
            __import__("datetime").datetime(2024, 2, 3),
            [group],
            "UNOA:3",
            EDIFACT_DEFAULT,
        )
    data = write(ic)
    payload = data if isinstance(data, bytes) else str(data).encode()
    parsed = parse(payload)
    assert parsed.ok, parsed.errors
    (tx,) = parsed.transactions
    assert registry.translate(tx) == invoice
