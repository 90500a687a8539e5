"""End to end through the pipeline: the EDI files of tests/money/data (written for these scenarios) are
ingested as Amazon (850, 180), the warehouse (856) and our ERP (810) send them; reconciliation runs as
the pipeline stores each message; our own invoices and credit notes are built, sent and read back.

PO M0NEY001: lamp x24 @12.50, bulbs x48 @4.75, shade x12 @18.00; PO M0NEY002: lamp x12.
ASN-M1-A ships 12 lamps + 48 bulbs, ASN-M1-B 12 lamps + 12 shades (ERP invoices INV-M1-A and INV-M1-B);
ASN-M1-C ships 6 more shades; ASN-M1-D has 6 lamps outside any carton; INV-M1-P bills bulbs at 4.95;
the ERP reuses INV-M1-A for PO M0NEY002; RMA-M1-01 returns 2 lamps.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import select

from gateway.config.settings import load_settings
from gateway.edi import parse
from gateway.invoicing import InvoicingError, build_credit_note, check_invoice
from gateway.service import pipeline
from gateway.service.money import approve_invoice, send_invoice
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.documents import load_document
from gateway.store.models import Discrepancy, Document, Message
from tests.money.conftest import make_config

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Runtime]:
    config = make_config(tmp_path, mode="manual")  # the scenarios' invoices come from the ERP
    runtime = Runtime.open(settings=load_settings(config))
    yield runtime
    runtime.close()


def feed(runtime: Runtime, *names: str) -> None:
    for name in names:
        receipt = pipeline.ingest(runtime, (DATA / name).read_bytes(), name)
        assert receipt.state == "done", (name, receipt)


def findings(runtime: Runtime) -> dict[str, list[Discrepancy]]:
    with session_scope(runtime.engine) as session:
        rows = session.exec(select(Discrepancy).where(Discrepancy.status != "resolved")).all()
    out: dict[str, list[Discrepancy]] = {}
    for row in rows:
        out.setdefault(row.kind, []).append(row)
    return out


PO_AND_TWO_ASNS = ("x12_850_m0ney001.edi", "x12_856_m1_a.edi", "x12_856_m1_b.edi")


def test_a_po_shipped_in_two_asns_and_invoiced_twice(gateway) -> None:
    feed(gateway, *PO_AND_TWO_ASNS, "x12_810_m1_a.edi", "x12_810_m1_b.edi")
    assert findings(gateway) == {}
    with session_scope(gateway.engine) as session:
        kinds = sorted((d.type, d.partner) for d in session.exec(select(Document)).all())
    assert kinds == [
        ("invoice", "amazon-us"),  # amazon-us invoices automatically: one of ours per ASN and PO
        ("invoice", "amazon-us"),
        ("invoice", "erp"),
        ("invoice", "erp"),
        ("purchase_order", "amazon-us"),
        ("shipment", "warehouse"),
        ("shipment", "warehouse"),
    ]


def test_an_over_shipment(gateway) -> None:
    feed(gateway, *PO_AND_TWO_ASNS, "x12_856_m1_over.edi")
    (row,) = findings(gateway)["over_shipment"]
    assert (row.po_number, row.line_no, row.actual, row.amount_at_risk) == (
        "M0NEY001",
        "3",
        "18 EA shipped",
        Decimal("108"),
    )


def test_a_price_mismatch_on_the_erps_invoice(gateway) -> None:
    feed(gateway, "x12_850_m0ney001.edi", "x12_856_m1_a.edi", "x12_810_m1_price.edi")
    (row,) = findings(gateway)["price_mismatch"]
    assert (row.invoice_number, row.line_no, row.expected, row.actual, row.amount_at_risk) == (
        "INV-M1-P",
        "2",
        "4.75 per EA",
        "4.95 per EA",
        Decimal("9.60"),
    )


def test_a_reused_invoice_number(gateway) -> None:
    feed(
        gateway,
        "x12_850_m0ney001.edi",
        "x12_850_m0ney002.edi",
        "x12_856_m1_a.edi",
        "x12_856_m2_a.edi",
        "x12_810_m1_a.edi",
    )
    assert findings(gateway) == {}
    feed(gateway, "x12_810_m2_reused.edi")
    (row,) = findings(gateway)["invoice_number_reused"]
    assert row.invoice_number == "INV-M1-A" and "M0NEY001" in row.expected and "M0NEY002" in row.actual


def test_a_return_and_its_credit_note(gateway) -> None:
    feed(gateway, "x12_850_m0ney001.edi", "x12_856_m1_a.edi", "x12_810_m1_a.edi", "x12_180_m1_rma.edi")
    (missing,) = findings(gateway)["credit_note_missing"]
    assert (missing.rma_number, missing.amount_at_risk) == ("RMA-M1-01", Decimal("25"))
    with session_scope(gateway.engine) as session:
        row = build_credit_note(session, gateway.partners, "RMA-M1-01")
        assert check_invoice(session, gateway.partners, row.id) == []
        note_id = row.id
    message = approve_invoice(gateway, note_id, "finance")  # the test profiles invoice manually here
    assert "credit_note_missing" not in findings(gateway)
    parsed = parse(gateway.archive.read(message.sha256))
    assert parsed.ok
    (tx,) = parsed.transactions
    with session_scope(gateway.engine) as session:
        note = load_document(session.get(Document, note_id))
        assert gateway.mappings.translate(tx) == note
        assert (note.kind, note.original_invoice_number, note.return_authorization) == (
            "credit_note",
            "INV-M1-A",
            "RMA-M1-01",
        )
        assert session.get(Message, message.id).state == "queued"
    with pytest.raises(InvoicingError, match="is queued"):
        send_invoice(gateway, note_id, "finance")


def test_an_asn_whose_cartons_do_not_add_up(gateway) -> None:
    feed(gateway, "x12_850_m0ney001.edi", "x12_856_m1_loose.edi")
    (row,) = findings(gateway)["carton_mismatch"]
    assert (row.shipment_id, row.expected, row.actual) == (
        "ASN-M1-D",
        "24 in the item lines",
        "18 in the cartons",
    )
    assert set(findings(gateway)) == {"carton_mismatch"}
