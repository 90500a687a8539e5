"""Issue 17 item 6: a PO's documents in one timeline; a blocked invoice lists its reasons and can be
approved, re-checked or cancelled (operator, CSRF, audited)."""

from __future__ import annotations

from sqlmodel import select

from gateway.store import session_scope
from gateway.store.models import AuditEntry, Document
from gateway.store.money import InvoiceCheck
from tests.console.conftest import login_as, post_form

REASON = {"code": "duplicate_invoice", "message": "shipment ASN-1 is already invoiced by erp's ERP-9001"}


def hold(runtime, seeded) -> int:
    """The seeded blocked invoice, with the reason the re-check at send stored."""
    with session_scope(runtime.engine) as session:
        session.add(InvoiceCheck(document_id=seeded["invoice"], reasons=[REASON]))
    return int(seeded["invoice"])


def test_the_po_page_shows_one_timeline_with_the_held_reasons(client, runtime, seeded) -> None:
    hold(runtime, seeded)
    login_as(client, runtime, "operator")
    html = client.get("/po/4TQ8ZK2M").get_data(as_text=True)
    timeline = html.split("<h2>Timeline</h2>")[1].split("</table>")[0]
    assert "purchase order" in timeline and "ship notice" in timeline and "invoice" in timeline
    assert "duplicate_invoice: shipment ASN-1 is already invoiced" in timeline
    assert f'action="/invoices/{seeded["invoice"]}/cancel"' in timeline
    assert timeline.index("purchase order") < timeline.index("ship notice")


def test_a_viewer_sees_no_actions_and_may_not_cancel(client, runtime, seeded) -> None:
    document_id = hold(runtime, seeded)
    login_as(client, runtime, "viewer")
    assert "/cancel" not in client.get("/po/4TQ8ZK2M").get_data(as_text=True)
    assert post_form(client, f"/invoices/{document_id}/cancel", {"reason": "x"}).status_code == 403


def test_cancel_needs_a_csrf_token_and_a_reason_and_is_audited(client, runtime, seeded) -> None:
    document_id = hold(runtime, seeded)
    login_as(client, runtime, "operator")
    assert client.post(f"/invoices/{document_id}/cancel", data={"reason": "dup"}).status_code == 400
    assert post_form(client, f"/invoices/{document_id}/cancel", {"reason": " "}).status_code == 400
    response = post_form(
        client,
        f"/invoices/{document_id}/cancel",
        {"reason": "the ERP's invoice stands", "next": "/po/4TQ8ZK2M"},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/po/4TQ8ZK2M")
    with session_scope(runtime.engine) as session:
        assert session.get(Document, document_id).status == "cancelled"
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "invoice.cancelled")).one()
        assert (audit.actor, audit.reason) == ("operator", "the ERP's invoice stands")
    again = post_form(client, f"/invoices/{document_id}/cancel", {"reason": "twice"}, follow_redirects=True)
    assert "can no longer be cancelled" in again.get_data(as_text=True)


def test_recheck_runs_the_checks_again(client, runtime, seeded) -> None:
    document_id = hold(runtime, seeded)
    login_as(client, runtime, "operator")
    response = post_form(client, f"/invoices/{document_id}/recheck", {}, follow_redirects=True)
    assert response.status_code == 200
    assert "Invoice ACME-SEED-000001:" in response.get_data(as_text=True)
