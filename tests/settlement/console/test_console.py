"""The console's claims pages and the settlement API: anyone logged in reads; only finance or admin
changes a claim or attaches evidence; the PO and invoice pages show the payment state; the dashboard
lists reminders."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from sqlmodel import Session, select

from gateway.console import users
from gateway.settlement import reminders
from gateway.settlement.hooks import on_documents_stored
from gateway.store import session_scope
from gateway.store.models import AuditEntry, User
from gateway.store.settlement import Claim
from tests.console.conftest import csrf_token, login_as
from tests.money.conftest import invoice, po, store
from tests.settlement.conftest import remittance

PO = "7R4N2PL8"


@pytest.fixture
def claim_id(runtime, accounts, password_hash) -> int:
    with Session(runtime.engine, expire_on_commit=False) as session:
        session.add(User(username="finance", password_hash=password_hash, role="finance"))
        store(session, "amazon-us", po(PO, lines={"1": 24}))
        store(
            session,
            "amazon-us",
            invoice("INV-9", {"1": 24}, po_number=PO, invoice_date=date(2026, 1, 2)),
            status="accepted",
        )
        row = store(
            session,
            "amazon-us",
            remittance(
                "PAY-9", [("INV-9", "300.00"), ("INV-9-SC", "-25.00")], invoice_amounts={"INV-9": "300.00"}
            ),
        )
        on_documents_stored(session, runtime.partners, [row])
        session.commit()
        reminders.run_reminders(session, runtime.partners, None, date.today())
        session.commit()
        return int(session.exec(select(Claim.id)).one())


def _token(runtime, name: str) -> dict[str, str]:
    with session_scope(runtime.engine) as session:
        return {"Authorization": f"Bearer {users.issue_token(session, name)}"}


def test_anyone_reads_the_claim_pages_and_pack(client, runtime, claim_id: int) -> None:
    login_as(client, runtime, "viewer")
    listing = client.get("/claims").get_data(as_text=True)
    assert "INV-9-SC" in listing and "shortage" in listing
    page = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert "INV-9-SC" in page and "Dispute by" in page and 'name="status"' not in page  # no form for a viewer
    pack = client.get(f"/claims/{claim_id}/pack.zip")
    assert pack.mimetype == "application/zip"
    assert "index.json" in zipfile.ZipFile(io.BytesIO(pack.data)).namelist()
    assert "Claims" in client.get("/").get_data(as_text=True)
    assert client.get("/claims/99999").status_code == 404


def test_only_finance_or_admin_moves_a_claim_and_attaches(client, runtime, claim_id: int) -> None:
    for role in ("viewer", "operator"):
        login_as(client, runtime, role)
        token = csrf_token(client, "/claims")
        response = client.post(
            f"/claims/{claim_id}/status", data={"csrf_token": token, "status": "disputed", "reason": "x"}
        )
        assert response.status_code == 403, role
    login_as(client, runtime, "finance")
    token = csrf_token(client, f"/claims/{claim_id}")
    response = client.post(
        f"/claims/{claim_id}/status",
        data={"csrf_token": token, "status": "disputed", "reason": "all cartons delivered"},
    )
    assert response.status_code == 302
    response = client.post(
        f"/claims/{claim_id}/attach",
        data={"csrf_token": token, "file": (io.BytesIO(b"proof"), "pod.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with Session(runtime.engine) as session:
        claim = session.get(Claim, claim_id)
        assert claim is not None and claim.status == "disputed"
        assert [e["label"] for e in claim.evidence if e["kind"] == "attachment"] == ["pod.pdf"]
        audited = session.exec(select(AuditEntry).where(AuditEntry.target_type == "claim")).all()
        assert {a.actor for a in audited} == {"acorn", "finance"}
    page = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert "all cartons delivered" in page and "pod.pdf" in page


def test_the_api_reads_and_moves_claims_with_the_finance_role(client, runtime, claim_id: int) -> None:
    viewer, finance = _token(runtime, "viewer"), _token(runtime, "finance")
    items = client.get("/api/claims", headers=viewer).get_json()["items"]
    assert [(c["reference"], c["amount"], c["status"]) for c in items] == [("INV-9-SC", "25.00", "new")]
    [pay] = client.get("/api/payments", headers=viewer).get_json()["items"]
    assert (pay["invoice_number"], pay["state"]) == ("INV-9", "short_paid")
    body = {"status": "won", "reason": "reversed in Vendor Central", "recovered": "25.00"}
    assert client.post(f"/api/claims/{claim_id}/status", json=body, headers=viewer).status_code == 403
    moved = client.post(f"/api/claims/{claim_id}/status", json=body, headers=finance)
    assert moved.status_code == 200 and moved.get_json()["recovered"] == "25.00"
    again = client.post(f"/api/claims/{claim_id}/status", json={**body, "status": "lost"}, headers=finance)
    assert again.status_code == 409 and "can move to" in again.get_json()["error"]
    assert client.get(f"/api/claims/{claim_id}/pack", headers=viewer).mimetype == "application/zip"
    assert client.get("/api/reminders", headers=viewer).status_code == 200


def test_po_and_invoice_pages_show_the_payment_state(client, runtime, claim_id: int) -> None:
    login_as(client, runtime, "viewer")
    assert "short_paid" in client.get(f"/po/{PO}").get_data(as_text=True)
    with Session(runtime.engine) as session:
        from gateway.store.models import Document

        doc_id = session.exec(select(Document.id).where(Document.invoice_number == "INV-9")).one()
    page = client.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "Payment:" in page and "short_paid" in page
