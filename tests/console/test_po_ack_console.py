"""The PO page's acknowledgement actions: an operator approves (queues) or cancels a held 855; audited."""

from __future__ import annotations

from datetime import date

from sqlmodel import col, select

from gateway.canonical import PurchaseOrder
from gateway.config.rules import PoAcknowledgementRules
from gateway.orders.acknowledgement import decide
from gateway.store import session_scope
from gateway.store.documents import save_document
from gateway.store.models import AuditEntry, Document, Message
from tests.console.conftest import login_as, post_form


def _hold(runtime, po_number: str) -> None:
    with session_scope(runtime.engine) as session:
        row = session.exec(
            select(Document).where(Document.type == "purchase_order", Document.business_key == po_number)
        ).one()
        po = PurchaseOrder.from_json_dict(dict(row.data))
        ack = decide(po, PoAcknowledgementRules(), None, date(2026, 12, 4)).ack
        save_document(session, row.partner, ack, status="held")


def _ack(runtime) -> Document:
    with session_scope(runtime.engine) as session:
        return session.exec(select(Document).where(Document.type == "po_acknowledgement")).one()


def test_an_operator_approves_a_held_acknowledgement_and_it_is_queued(client, runtime, seeded) -> None:
    po_number = seeded["po_number"]
    _hold(runtime, po_number)
    page = f"/po/{po_number}"
    login_as(client, runtime, "operator")
    assert "approve and send" in client.get(page).get_data(as_text=True)
    partner = _ack(runtime).partner
    response = post_form(client, f"{page}/acknowledgement/approve", {"partner": partner}, token_from=page)
    assert response.status_code == 302
    assert _ack(runtime).status == "queued"
    with session_scope(runtime.engine) as session:
        actions = [a.action for a in session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()]
        assert actions[-2:] == ["po_ack.approved", "po_ack.queued"]
        assert any("_855_" in m.filename for m in session.exec(select(Message)).all())
    again = post_form(client, f"{page}/acknowledgement/cancel", {"partner": partner}, token_from=page)
    assert again.status_code == 302 and _ack(runtime).status == "queued"  # a queued one is not cancelled


def test_a_viewer_cannot_approve(client, runtime, seeded) -> None:
    po_number = seeded["po_number"]
    _hold(runtime, po_number)
    login_as(client, runtime, "viewer")
    page = f"/po/{po_number}"
    response = post_form(
        client, f"{page}/acknowledgement/approve", {"partner": _ack(runtime).partner}, token_from=page
    )
    assert response.status_code == 403
    assert _ack(runtime).status == "held"
