"""Sending invoices: rendered through the outbound mappings (X12 810, EDIFACT INVOIC) or as XML, wrapped
with the partner's control numbers, queued in the outbox; every emitted file is parsed again by our reader,
passes envelope validation and translates back to the same invoice. Then sent, acknowledged, rejected, resent."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from gateway.canonical import Invoice
from gateway.canonical.xml import from_xml
from gateway.edi import parse
from gateway.invoicing import (
    InvoiceBlocked,
    InvoicingError,
    build_invoices,
    check_invoice,
    on_documents_stored,
    record_invoice_ack,
    record_invoice_sent,
)
from gateway.reconcile import reconcile_documents
from gateway.service.money import approve_invoice, run_aging_checks, send_invoice
from gateway.store import session_scope
from gateway.store.documents import load_document
from gateway.store.models import AuditEntry, Discrepancy, Document, DocumentMessage, Message
from gateway.store.money import InvoiceCheck
from tests.money.conftest import PG_SKIP, asn, open_runtime, po, rma, store

US, EU, WH = "amazon-us", "amazon-eu", "warehouse"
DAY = date(2026, 1, 16)


def emitted(runtime, message: Message) -> tuple[Invoice, bytes]:
    """The one invoice a queued message carries, read back with our reader and inbound mapping."""
    data = runtime.archive.read(message.sha256)
    parsed = parse(data)
    assert parsed.ok, parsed.errors  # envelopes, counts and control numbers validate
    (tx,) = parsed.transactions
    return runtime.mappings.translate(tx), data  # type: ignore[return-value]


def stored_invoice(runtime, document_id: int) -> Invoice:
    with session_scope(runtime.engine) as session:
        return load_document(session.get(Document, document_id))  # type: ignore[return-value]


def test_an_asn_is_invoiced_automatically_as_x12_810(runtime) -> None:
    with session_scope(runtime.engine) as session:
        store(session, US, po())
        row = store(session, WH, asn("ASN-1", {"1": 24, "2": 48, "3": 5}))
        (inv_row,) = on_documents_stored(
            session, runtime.partners, runtime.mappings, runtime.archive, [row], today=DAY
        )
        assert inv_row.status == "queued"
        (link,) = session.exec(select(DocumentMessage).where(DocumentMessage.role == "sent")).all()
        message = session.get(Message, link.message_id)
    assert (message.partner, message.mailbox, message.state, message.standard) == (
        US,
        "local",
        "queued",
        "x12",
    )
    assert message.filename.startswith("amazon-us_810_") and message.document_types == ["810"]
    back, data = emitted(runtime, message)
    assert back == stored_invoice(runtime, inv_row.id)
    assert b"ISA*00*          *00*          *ZZ*ACMEVENDOR     *ZZ*AMAZON         *" in data
    assert b"BIG*20260116*ACME-2026-000001*20260112*4TQ8ZK2M~" in data and b"TDS*61800~" in data


def test_manual_mode_waits_for_approval_then_sends_edifact_invoic(runtime) -> None:
    with session_scope(runtime.engine) as session:
        store(session, EU, po(currency="EUR"))
        row = store(session, WH, asn("ASN-1", {"1": 10, "2": 3}))
        (inv_row,) = on_documents_stored(
            session, runtime.partners, runtime.mappings, runtime.archive, [row], today=DAY
        )
        assert inv_row.status == "draft"  # amazon-eu invoices in manual mode
    with pytest.raises(InvoicingError, match="waits for approval"):
        send_invoice(runtime, inv_row.id, "ann", today=DAY)
    message = approve_invoice(runtime, inv_row.id, "ann", "checked against the PO", today=DAY)
    assert message.standard == "edifact" and message.filename.startswith("amazon-eu_invoic_")
    back, data = emitted(runtime, message)
    assert back == stored_invoice(runtime, inv_row.id)
    assert b"UNH+1+INVOIC:D:96A:UN:EAN008'" in data and b"MOA+77:165.71'" in data
    with session_scope(runtime.engine) as session:
        assert session.get(InvoiceCheck, inv_row.id).approved_by == "ann"
        actions = [
            a.action for a in session.exec(select(AuditEntry).where(AuditEntry.target_id == str(inv_row.id)))
        ]
        assert actions == ["invoice.built", "invoice.approved", "invoice.queued"]


def test_xml_for_partners_that_want_it(tmp_path) -> None:
    runtime = open_runtime(tmp_path, fmt="xml")
    try:
        with session_scope(runtime.engine) as session:
            store(session, US, po())
            row = store(session, WH, asn("ASN-1", {"1": 24}))
            (inv_row,) = on_documents_stored(
                session, runtime.partners, runtime.mappings, runtime.archive, [row], today=DAY
            )
            message = session.exec(select(Message)).one()
        assert message.filename.endswith("_ACME-2026-000001.xml") and message.standard == "xml"
        assert from_xml(runtime.archive.read(message.sha256)) == stored_invoice(runtime, inv_row.id)
    finally:
        runtime.close()


def test_a_blocked_invoice_is_never_sent(runtime) -> None:
    with session_scope(runtime.engine) as session:
        store(session, US, po())
        store(session, WH, asn("ASN-1", {"1": 24}))
        (inv_row,) = build_invoices(session, runtime.partners, "ASN-1", today=DAY)
        store(session, US, po(lines={"2": 48}))  # Amazon revises the PO: the lamp is gone
    with pytest.raises(InvoiceBlocked) as info:
        send_invoice(runtime, inv_row.id, "ann", today=DAY)
    assert [r.code for r in info.value.reasons] == ["item_not_on_po"]
    with session_scope(runtime.engine) as session:
        assert session.get(Document, inv_row.id).status == "blocked"
        assert session.get(InvoiceCheck, inv_row.id).reasons[0]["code"] == "item_not_on_po"
        assert session.exec(select(Message)).all() == []
    with pytest.raises(InvoiceBlocked):
        approve_invoice(runtime, inv_row.id, "ann", today=DAY)
    with session_scope(runtime.engine) as session:
        assert session.get(InvoiceCheck, inv_row.id).approved_by is None


def test_sent_rejected_resent_accepted(runtime) -> None:
    with session_scope(runtime.engine) as session:
        store(session, US, po())
        row = store(session, WH, asn("ASN-1", {"1": 24}))
        (inv_row,) = on_documents_stored(
            session, runtime.partners, runtime.mappings, runtime.archive, [row], today=DAY
        )
        first = session.exec(select(Message)).one()
        assert [d.id for d in record_invoice_sent(session, first.id)] == [inv_row.id]
        assert session.get(Document, inv_row.id).status == "sent"
        record_invoice_ack(session, first.id, accepted=False, codes=["5", "I12"])
        assert session.get(Document, inv_row.id).status == "rejected"
    again = send_invoice(runtime, inv_row.id, "ann", today=DAY)
    assert again.id != first.id
    back, _ = emitted(runtime, again)
    assert back.invoice_number == "ACME-2026-000001"  # a rejected invoice is resent under its own number
    with session_scope(runtime.engine) as session:
        record_invoice_ack(session, again.id, accepted=True)
        assert session.get(Document, inv_row.id).status == "accepted"
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "invoice.rejected")).one()
        assert audit.reason == "5, I12" and audit.actor == "partner"
    with pytest.raises(InvoicingError, match="is accepted: it cannot be sent again"):
        send_invoice(runtime, inv_row.id, "ann")


def test_late_po_and_returns_in_automatic_mode(runtime) -> None:
    with session_scope(runtime.engine) as session:
        early = store(session, WH, asn("ASN-1", {"1": 24}))
        assert (
            on_documents_stored(
                session, runtime.partners, runtime.mappings, runtime.archive, [early], today=DAY
            )
            == []
        )  # no PO yet: nothing to bill
        late = store(session, US, po())
        (inv_row,) = on_documents_stored(
            session, runtime.partners, runtime.mappings, runtime.archive, [late], today=DAY
        )
        assert inv_row.status == "queued"
        inv_row.status = "accepted"
        ret = store(session, US, rma("RMA-1", {"1": 2}))
        (note_row,) = on_documents_stored(
            session, runtime.partners, runtime.mappings, runtime.archive, [ret], today=date(2026, 2, 2)
        )
        assert note_row.status == "queued"
        note = load_document(note_row)
        assert (note.kind, note.original_invoice_number, note.return_authorization) == (
            "credit_note",
            "ACME-2026-000001",
            "RMA-1",
        )
        message = session.exec(select(Message).order_by(Message.id.desc())).first()
    back, data = emitted(runtime, message)
    assert back == note and b"BIG*20260202*ACME-2026-000002*" in data and b"REF*OI*ACME-2026-000001~" in data


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    quantities=st.lists(st.integers(min_value=0, max_value=5000), min_size=3, max_size=3).filter(any),
    cost=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999.99"), places=2),
)
def test_any_built_invoice_passes_and_round_trips(runtime, quantities: list[int], cost: Decimal) -> None:
    number = uuid.uuid4().hex[:8].upper()
    order = po(number, lines={"1": 10**6, "2": 10**6, "3": 10**6})
    order.lines[0].unit_price = cost
    shipped = {str(i + 1): q for i, q in enumerate(quantities) if q}
    with session_scope(runtime.engine) as session:
        store(session, US, order)
        row = store(session, WH, asn(f"ASN-{number}", shipped, po_number=number))
        (inv_row,) = on_documents_stored(
            session, runtime.partners, runtime.mappings, runtime.archive, [row], today=DAY
        )
        assert check_invoice(session, runtime.partners, inv_row.id, today=DAY) == []
        assert inv_row.status == "queued"
        message = session.exec(
            select(Message).join(DocumentMessage).where(DocumentMessage.document_id == inv_row.id)
        ).one()
    back, _ = emitted(runtime, message)
    invoice = stored_invoice(runtime, inv_row.id)
    assert back == invoice
    assert invoice.total == sum((ln.quantity * ln.unit_price for ln in invoice.lines), Decimal(0)).quantize(
        Decimal("0.01")
    )


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=PG_SKIP)])
def test_returns_credit_notes_and_aging_on_each_backend(tmp_path, backend) -> None:
    from tests.money.conftest import _url

    urls = _url(backend, tmp_path)
    runtime = open_runtime(tmp_path, url=next(urls))
    try:
        with session_scope(runtime.engine) as session:
            store(session, US, po())
            row = store(session, WH, asn("ASN-1", {"1": 24}))
            (inv_row,) = on_documents_stored(
                session, runtime.partners, runtime.mappings, runtime.archive, [row], today=DAY
            )
            inv_row.status = "accepted"
            ret = store(session, US, rma("RMA-1", {"1": 2}))
            reconcile_documents(session, runtime.partners, [ret], today=date(2026, 2, 20))
            assert {d.kind for d in session.exec(select(Discrepancy)).all()} == {"credit_note_missing"}
            (note_row,) = on_documents_stored(
                session, runtime.partners, runtime.mappings, runtime.archive, [ret], today=date(2026, 2, 20)
            )
            assert note_row.status == "queued"
            assert {(d.kind, d.status) for d in session.exec(select(Discrepancy)).all()} == {
                ("credit_note_missing", "resolved")
            }
        alerts = run_aging_checks(runtime, today=date(2026, 2, 20), notify=False)
        assert alerts == []
    finally:
        runtime.close()
        for _ in urls:  # drop the PostgreSQL schema
            pass
