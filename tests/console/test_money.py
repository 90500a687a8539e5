"""Discrepancy and invoice actions from the console, delegated to gateway.reconcile / gateway.invoicing."""

from __future__ import annotations

from sqlmodel import select

from gateway.store import session_scope
from gateway.store.models import AuditEntry, Discrepancy, Document
from tests.console.conftest import login_as, post_form


def _status(runtime, discrepancy_id: int) -> str:
    with session_scope(runtime.engine) as session:
        return session.get(Discrepancy, discrepancy_id).status


def test_discrepancy_moves_along_with_notes(client, runtime, seeded) -> None:
    login_as(client, runtime, "operator")
    page = client.get("/discrepancies?status=open").get_data(as_text=True)
    assert 'action="/discrepancies/1/acknowledge"' in page and 'action="/discrepancies/1/resolve"' not in page
    assert post_form(client, "/discrepancies/1/acknowledge", {"note": "checking the ASN"}).status_code == 302
    assert _status(runtime, 1) == "acknowledged"
    assert post_form(client, "/discrepancies/1/dispute", {"note": "carrier lost a carton"}).status_code == 302
    assert _status(runtime, 1) == "disputed"
    assert post_form(client, "/discrepancies/1/acknowledge", {"note": ""}).status_code == 400
    with session_scope(runtime.engine) as session:
        audited = session.exec(select(AuditEntry).where(AuditEntry.target_type == "discrepancy")).all()
    assert [a.actor for a in audited] == ["operator", "operator"]
    html = client.get("/discrepancies").get_data(as_text=True)
    assert "carrier lost a carton" in html


def test_a_move_the_rules_refuse_is_shown_not_crashed(client, runtime, seeded) -> None:
    login_as(client, runtime, "operator")
    response = post_form(client, "/discrepancies/1/resolve", {"note": "skip ahead"}, follow_redirects=True)
    assert response.status_code == 200
    assert "Discrepancy 1:" in response.get_data(as_text=True)
    assert _status(runtime, 1) == "open"


def test_sending_an_invoice_that_cannot_go_says_why(client, runtime, seeded) -> None:
    login_as(client, runtime, "operator")
    path = f"/invoices/{seeded['invoice']}/send"
    response = post_form(client, path, {}, "/invoices", follow_redirects=True)
    assert response.status_code == 200
    assert "Invoice ACME-SEED-000001:" in response.get_data(as_text=True)
    with session_scope(runtime.engine) as session:
        assert session.get(Document, seeded["invoice"]).status != "queued"


def test_invoice_list_shows_blocked_reasons_when_checks_exist(client, runtime, seeded) -> None:
    login_as(client, runtime, "viewer")
    html = client.get("/invoices?status=blocked").get_data(as_text=True)
    assert "ACME-SEED-000001" in html
    assert "approve" not in html  # a viewer gets no action buttons
