"""The shorter paths of the invoicing and ship-notice hooks and of the sender give what the long ones gave.

- the automatic invoice is checked once (the check the hook stores is the one it queues on): the
  same bytes, file name, reasons and audit trail as build, check and queue one after the other;
- a check that blocked the invoice is never taken as a pass;
- the invoices of several sent messages are recorded ``sent`` with one query, each audited with its
  own message, acknowledgements not looked up;
- the ship notice pre-check on the order books its draft loaded finds what it finds loading them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import col, select

from gateway.invoicing import (
    InvoiceBlocked,
    build_invoices,
    check_invoice,
    on_documents_stored,
    queue_invoice,
    record_invoices_sent,
)
from gateway.invoicing import state as invoice_state
from gateway.outbound import envelopes
from gateway.outbound.outbox import OutboundPayload, queue_outbound
from gateway.shipping.checks import Context, ship_notice_reasons
from gateway.shipping.send import draft_of
from gateway.store import session_scope
from gateway.store.models import AuditEntry, Document, Message
from gateway.store.money import InvoiceCheck
from tests.money.conftest import asn, open_runtime, po, store

US, WH = "amazon-us", "warehouse"
DAY = date(2026, 1, 16)
STAMP = datetime(2026, 1, 16, 9, 30, tzinfo=UTC)


def _queue_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hook: bool) -> dict[str, Any]:
    """One ASN invoiced by the hook (``hook``) or by build, check and queue; what came of it."""
    monkeypatch.setattr(envelopes, "utcnow", lambda: STAMP)  # the same ISA/GS date and time
    checks = []
    real = invoice_state.compliance_reasons
    monkeypatch.setattr(
        invoice_state, "compliance_reasons", lambda *a, **k: checks.append(1) or real(*a, **k)
    )
    runtime = open_runtime(tmp_path)
    try:
        with session_scope(runtime.engine) as session:
            store(session, US, po())
            row = store(session, WH, asn("ASN-1", {"1": 24, "2": 48, "3": 5}))
            if hook:
                (invoice,) = on_documents_stored(
                    session, runtime.partners, runtime.mappings, runtime.archive, [row], today=DAY
                )
            else:
                (invoice,) = build_invoices(session, runtime.partners, "ASN-1", today=DAY)
                check_invoice(session, runtime.partners, int(invoice.id or 0), today=DAY)
                queue_invoice(
                    session, runtime.partners, runtime.mappings, runtime.archive,
                    int(invoice.id or 0), "gateway", today=DAY,
                )  # fmt: skip
            message = session.exec(select(Message)).one()
            audit = session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()
            return {
                "bytes": runtime.archive.read(message.sha256),
                "filename": message.filename,
                "status": session.get(Document, invoice.id).status,
                "reasons": session.get(InvoiceCheck, invoice.id).reasons,
                "audit": [(a.action, a.target_id) for a in audit],
                "checks": len(checks),
            }
    finally:
        runtime.close()


def test_the_automatic_invoice_is_checked_once_and_queued_as_before(tmp_path, monkeypatch) -> None:
    hook = _queue_once(tmp_path / "hook", monkeypatch, hook=True)
    steps = _queue_once(tmp_path / "steps", monkeypatch, hook=False)
    assert (hook["checks"], steps["checks"]) == (1, 2)
    assert hook["bytes"] == steps["bytes"] and b"BIG*20260116*ACME-2026-000001" in hook["bytes"]
    assert hook["filename"] == steps["filename"]
    assert hook["status"] == steps["status"] == "queued"
    assert hook["reasons"] == steps["reasons"] == []
    assert hook["audit"] == steps["audit"]


def test_a_blocked_invoice_is_checked_again_even_when_the_caller_says_it_checked(runtime) -> None:
    with session_scope(runtime.engine) as session:
        store(session, US, po())
        store(session, WH, asn("ASN-1", {"1": 24}))
        (invoice,) = build_invoices(session, runtime.partners, "ASN-1", today=DAY)
        store(session, US, po(lines={"2": 48}))  # the PO revised: the lamp is gone
        assert check_invoice(session, runtime.partners, int(invoice.id or 0), today=DAY)
        with pytest.raises(InvoiceBlocked):
            queue_invoice(
                session, runtime.partners, runtime.mappings, runtime.archive, int(invoice.id or 0),
                "gateway", today=DAY, checked=True,
            )  # fmt: skip
        assert session.get(Document, invoice.id).status == "blocked"
        assert session.exec(select(Message)).all() == []


def test_the_invoices_of_several_messages_are_recorded_sent_with_one_query(runtime) -> None:
    with session_scope(runtime.engine) as session:
        store(session, US, po())
        rows = [store(session, WH, asn(f"ASN-{n}", {"1": 4})) for n in (1, 2)]
        invoices = on_documents_stored(
            session, runtime.partners, runtime.mappings, runtime.archive, rows, today=DAY
        )
        assert [i.status for i in invoices] == ["queued", "queued"]
        sent = {
            int(m.id or 0): m.document_types for m in session.exec(select(Message).order_by(col(Message.id)))
        }
        ack = OutboundPayload(data=b"ISA*...~", filename="997.edi", standard="x12", document_types=["997"])
        ack_id = int(queue_outbound(session, runtime.archive, US, None, ack).id or 0)
        session.flush()
        statements: list[str] = []
        event.listen(runtime.engine, "before_cursor_execute", lambda *a, **k: statements.append(a[2]))
        done = record_invoices_sent(session, {**sent, ack_id: ["997"]})
        assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
        assert [d.id for d in done] == [i.id for i in invoices]
        assert [session.get(Document, i.id).status for i in invoices] == ["sent", "sent"]
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "invoice.sent")).all()
        by_message = {a.detail["message_id"]: a.target_id for a in audit}
        assert by_message == {m: str(i.id) for m, i in zip(sent, invoices, strict=True)}
        assert record_invoices_sent(session, sent) == []  # sent already: nothing moves twice


def test_the_ship_notice_check_on_the_drafts_order_books_finds_the_same(runtime) -> None:
    with session_scope(runtime.engine) as session:
        store(session, US, po())
        store(session, WH, asn("ASN-1", {"1": 400}))  # past the ordered quantity
        drafted = draft_of(session, runtime.partners, "ASN-1")
        profile = runtime.partners.get(US)
        ctx = Context(US, profile.rules, DAY, profile.standard)
        shared = ship_notice_reasons(session, drafted.notice, ctx, drafted.bundles)
        loaded = ship_notice_reasons(session, drafted.notice, ctx)
        assert shared == loaded and "shipped_over_confirmed" in {r.code for r in shared}
