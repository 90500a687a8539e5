"""Issue 17 item 1: re-check at send, one invoice per shipment whoever issued it, the credit-note job.

The defects measured: PO + ASN queued an automatic invoice, an ERP's 810 for the same shipment then
arrived, and ``acorn send`` still sent the automatic one (the shipment billed twice); no credit note
when the return authorization came before the invoice; an automatic credit note against an
ERP-issued invoice blocked with ``item_ids_differ: vendor_sku missing``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import col, select

from gateway.canonical import Invoice
from gateway.invoicing import check_invoice, on_documents_stored
from gateway.invoicing.at_send import prepare_for_send
from gateway.invoicing.credit_job import build_due_credit_notes
from gateway.invoicing.supersede import cancel_invoice
from gateway.service import mailboxes
from gateway.service.money import build_credit_notes
from gateway.store import session_scope
from gateway.store.documents import load_document
from gateway.store.messages import IllegalTransition, move
from gateway.store.models import AuditEntry, Document, Message, MessageEvent, MessageState
from gateway.store.money import InvoiceCheck
from tests.money.conftest import ITEMS, asn, invoice, po, rma, store

US, WH, ERP = "amazon-us", "warehouse", "erp"
DAY = date(2026, 1, 16)


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # the local mailboxes' relative folders


def _queued_invoice(runtime, shipped: dict[str, int]) -> tuple[int, int]:
    """PO + ASN stored through the invoicing hook: the automatic invoice is queued; (document, message)."""
    with session_scope(runtime.engine) as session:
        store(session, US, po())
        row = store(session, WH, asn("ASN-1", shipped))
        (inv_row,) = on_documents_stored(
            session, runtime.partners, runtime.mappings, runtime.archive, [row], today=DAY
        )
        assert inv_row.status == "queued"
        message = session.exec(select(Message)).one()
        return int(inv_row.id), int(message.id)


def _erp_invoice(shipped: dict[str, int]):
    return invoice("ERP-9001", shipped, shipment_id="ASN-1")


def test_an_erp_invoice_for_the_shipment_cancels_the_queued_automatic_one(runtime) -> None:
    document_id, message_id = _queued_invoice(runtime, {"1": 8})
    with session_scope(runtime.engine) as session:
        erp = store(session, ERP, _erp_invoice({"1": 8}))
        on_documents_stored(session, runtime.partners, runtime.mappings, runtime.archive, [erp], today=DAY)
    with session_scope(runtime.engine) as session:
        assert session.get(Document, document_id).status == "cancelled"
        message = session.get(Message, message_id)
        assert message.state == "cancelled"
        last = session.exec(
            select(MessageEvent).where(MessageEvent.message_id == message_id).order_by(col(MessageEvent.id))
        ).all()[-1]
        assert last.state == "cancelled" and "ERP-9001" in last.note
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "invoice.cancelled")).one()
        assert audit.reason.startswith("duplicate_invoice:") and "ASN-1" in audit.reason
    assert mailboxes.send_due(runtime).sent == 0  # the shipment is billed once


def test_a_queued_invoice_that_now_breaks_a_rule_is_blocked_at_send(runtime) -> None:
    """The ERP invoice stored without the hook (as if it came between queue and send): the re-check
    at send finds the duplicate, holds the message as ``blocked`` and the invoice goes back to blocked."""
    document_id, message_id = _queued_invoice(runtime, {"1": 8})
    with session_scope(runtime.engine) as session:
        store(session, ERP, _erp_invoice({"1": 8}))
    summary = mailboxes.send_due(runtime)
    assert (summary.sent, summary.blocked) == (0, 1)
    with session_scope(runtime.engine) as session:
        message = session.get(Message, message_id)
        assert message.state == "blocked" and message.lease_owner is None
        row = session.get(Document, document_id)
        assert row.status == "blocked"
        codes = {r["code"] for r in session.get(InvoiceCheck, document_id).reasons}
        assert "duplicate_invoice" in codes and "invoiced_over_shipped" in codes
        assert session.exec(select(AuditEntry).where(AuditEntry.action == "invoice.blocked_at_send")).one()
        with pytest.raises(IllegalTransition):
            move(session, message, MessageState.SENT, "never")
    assert mailboxes.send_due(runtime).sent == 0


def test_a_passing_message_is_sent_and_rerendered_when_its_document_changed(runtime) -> None:
    document_id, message_id = _queued_invoice(runtime, {"1": 8})
    with session_scope(runtime.engine) as session:
        check = prepare_for_send(
            session, runtime.partners, runtime.mappings, runtime.archive, message_id, today=DAY
        )
        assert (check.blocked, check.rerendered) == (False, False)  # the queued bytes are the stored invoice
        row = session.get(Document, document_id)
        data = dict(row.data)
        data["terms"] = {**data["terms"], "description": "Net 60 (revised)"}
        row.data = data  # the stored document changed after it was queued
        session.add(row)
    with session_scope(runtime.engine) as session:
        before = session.get(Message, message_id).sha256
        check = prepare_for_send(
            session, runtime.partners, runtime.mappings, runtime.archive, message_id, today=DAY
        )
        assert check.rerendered and session.get(Message, message_id).sha256 != before
    assert mailboxes.send_due(runtime).sent == 1


def test_an_operator_cancels_a_blocked_invoice_and_its_held_message(runtime) -> None:
    document_id, message_id = _queued_invoice(runtime, {"1": 8})
    with session_scope(runtime.engine) as session:
        store(session, ERP, _erp_invoice({"1": 8}))
    mailboxes.send_due(runtime)
    with session_scope(runtime.engine) as session:
        cancel_invoice(session, document_id, "ann", "the ERP's invoice stands")
    with session_scope(runtime.engine) as session:
        assert session.get(Message, message_id).state == "cancelled"
        assert session.get(Document, document_id).status == "cancelled"


def test_a_return_before_its_invoice_is_credited_by_the_job_once(runtime) -> None:
    with session_scope(runtime.engine) as session:
        ret = store(session, US, rma("RMA-1", {"1": 2}))
        assert (
            on_documents_stored(
                session, runtime.partners, runtime.mappings, runtime.archive, [ret], today=DAY
            )
            == []
        )  # nothing billed the item yet
    assert build_credit_notes(runtime, today=DAY).built == []
    _queued_invoice(runtime, {"1": 8})
    first = build_credit_notes(runtime, today=date(2026, 2, 2))
    assert len(first.built) == 1 and first.queued == first.built
    again = build_credit_notes(runtime, today=date(2026, 2, 3))
    assert (again.built, again.waiting) == ([], {})  # idempotent
    with session_scope(runtime.engine) as session:
        note = load_document(session.get(Document, first.built[0]))
        assert (note.kind, note.return_authorization, note.original_invoice_number) == (
            "credit_note",
            "RMA-1",
            "ACME-2026-000001",
        )


def test_a_credit_note_against_an_erp_invoice_carries_the_po_item_ids_and_cases(runtime) -> None:
    """The ERP billed line 1 by ASIN only, in cases of 12: the credit note names the PO's ids
    (no ``item_id_mismatch``) and credits 24 EA returned as 2 CA at the case cost."""
    order = po(lines={"1": 48})
    order.lines[0].uom, order.lines[0].case_size, order.lines[0].unit_price = "CA", 12, Decimal("150.00")
    order.lines[0].quantity = Decimal(4)
    erp_line = {"line_no": "1", "item": {"asin": ITEMS["1"]["asin"]}, "quantity": 4, "uom": "CA"}
    erp_line |= {"case_size": 12, "unit_price": "150.00"}
    erp = Invoice.model_validate(
        {**invoice("ERP-9001", {"1": 1}).model_dump(), "lines": [erp_line], "total": "600.00"}
    )
    with session_scope(runtime.engine) as session:
        store(session, US, order)
        store(session, WH, asn("ASN-1", {"1": 48}))
        store(session, ERP, erp)
        store(session, US, rma("RMA-1", {"1": 24}))
        run = build_due_credit_notes(
            session, runtime.partners, runtime.mappings, runtime.archive, today=date(2026, 2, 2)
        )
        (document_id,) = run.built
        note = load_document(session.get(Document, document_id))
        (line,) = note.lines
        assert (line.quantity, line.uom, line.case_size, line.unit_price) == (2, "CA", 12, Decimal("150.00"))
        assert line.item.vendor_sku == ITEMS["1"]["vendor_sku"]
        codes = [
            r.code for r in check_invoice(session, runtime.partners, document_id, today=date(2026, 2, 2))
        ]
        assert codes == []
        assert note.total == Decimal("300.00")


@pytest.mark.parametrize(
    ("types", "lookups"), [(["997"], 0), (["CONTRL"], 0), (["810"], 3), (["997", "810"], 3)]
)
def test_an_acknowledgement_passes_the_recheck_at_send_without_a_lookup(runtime, types, lookups) -> None:
    """A message of only 997/999/TA1/CONTRL carries nothing the re-check could hold, nor an invoice
    to record as sent: no statement; any other type (or a mix) is looked at (its invoices and PO
    acknowledgements in one query, then the record checks)."""
    from sqlalchemy import event

    from gateway.invoicing import record_invoice_sent
    from gateway.outbound.outbox import OutboundPayload, queue_outbound
    from gateway.service.money import AT_SEND_CHECKS

    payload = OutboundPayload(data=b"ISA*...~", filename="x.edi", standard="x12", document_types=types)
    statements: list[str] = []
    with session_scope(runtime.engine) as session:
        message = queue_outbound(session, runtime.archive, US, None, payload)
        session.flush()
        event.listen(runtime.engine, "before_cursor_execute", lambda *a, **k: statements.append(a[2]))
        check = prepare_for_send(
            session, runtime.partners, runtime.mappings, runtime.archive, int(message.id),
            record_checks=AT_SEND_CHECKS,
        )  # fmt: skip
        assert not check.blocked and not check.rerendered
        assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == lookups, statements
        statements.clear()
        assert record_invoice_sent(session, int(message.id), document_types=types) == []
        assert len([s for s in statements if "documents" in s]) == (1 if lookups else 0), statements
