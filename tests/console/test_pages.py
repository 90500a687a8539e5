"""The pages issue 19 found wanting: the PO list, a credit note on /invoices, the ASN's packages,
readable audit details, paged discrepancies, and API tokens that expire."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlmodel import select

from gateway.console import users
from gateway.console.audit import record
from gateway.service import pipeline
from gateway.store import session_scope
from gateway.store.models import Discrepancy, Document, User, utcnow
from tests.console.conftest import login_as, sample


def test_po_without_a_number_lists_purchase_orders(client, runtime, seeded) -> None:
    login_as(client, runtime, "viewer")
    response = client.get("/po")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Purchase orders" in page and f"/po/{seeded['po_number']}" in page
    assert "1 purchase orders" in page
    # a known number still goes straight to its page; a prefix lists what starts with it
    assert client.get(f"/po?po={seeded['po_number']}").status_code == 302
    listed = client.get("/po?po=4TQ").get_data(as_text=True)
    assert f"/po/{seeded['po_number']}" in listed
    assert "No purchase orders match" in client.get("/po?po=ZZZ").get_data(as_text=True)


def test_discrepancies_are_paged_with_a_count(client, runtime, accounts) -> None:
    with session_scope(runtime.engine) as session:
        for n in range(69):
            session.add(
                Discrepancy(
                    key=f"shortage:P{n}:1", partner="amazon-us", kind="shortage", po_number=f"P{n:03d}",
                    line_no="1", expected="10", actual="8", amount_at_risk=Decimal("1.00"), currency="USD",
                )
            )  # fmt: skip
    login_as(client, runtime, "viewer")
    first = client.get("/discrepancies").get_data(as_text=True)
    assert "69 discrepancies" in first
    assert "P068" in first and "P019" in first and "P018" not in first  # newest first, 50 a page
    older = client.get("/discrepancies?before=20").get_data(as_text=True)
    assert "P000" in older and "Newer" in older


def test_a_credit_note_is_told_apart_from_an_invoice(client, runtime, seeded) -> None:
    with session_scope(runtime.engine) as session:
        session.add(
            Document(
                partner="amazon-us", type="invoice", business_key="CN-1", status="draft", po_number="4TQ8ZK2M",
                invoice_number="CN-1", currency="USD", total=Decimal("-12.00"),
                data={"kind": "credit_note", "original_invoice_number": "ACME-SEED-000001"},
            )
        )  # fmt: skip
    login_as(client, runtime, "viewer")
    page = client.get("/invoices").get_data(as_text=True)
    row = page[page.index("CN-1") :].split("</tr>", 1)[0]
    assert "credit note" in row and "for ACME-SEED-000001" in row
    seed = page[page.index("ACME-SEED-000001") :].split("</tr>", 1)[0]
    assert "credit note" not in seed


def test_an_asn_shows_each_package_with_its_sscc_and_one_total_per_line(client, runtime, accounts) -> None:
    pipeline.ingest(runtime, sample("x12_4010_850_new_po.edi"), "po.edi", mailbox="local")
    pipeline.ingest(runtime, sample("x12_4010_856_partial_shipment.edi"), "asn.edi", mailbox="local")
    with session_scope(runtime.engine) as session:
        asn = session.exec(select(Document).where(Document.business_key == "ACME-ASN-260115-01")).one()
    login_as(client, runtime, "viewer")
    page = client.get(f"/documents/{asn.id}").get_data(as_text=True)
    totals = page[page.index('id="line-totals"') :].split("</table>", 1)[0]
    packages = page[page.index('id="packages"') :].split("</table>", 1)[0]
    assert totals.count("<td>4TQ8ZK2M</td><td>1</td>") == 1  # line 1 once, with both cartons
    assert "<td>4TQ8ZK2M</td><td>1</td><td>ASIN B0C4LMP7Q2</td><td>24.00</td><td>EA</td><td>2</td>" in totals
    assert "008400123450000016" in packages and "008400123450000023" in packages
    assert "<td></td><td>carton</td>" not in packages  # no empty SSCC cell


def test_audit_details_are_readable_not_json(client, runtime, accounts) -> None:
    with session_scope(runtime.engine) as session:
        record(session, "operator", "replay", "message", 7, "fix", {"note": "vendor's file", "ids": [1, 2]})
    login_as(client, runtime, "viewer")
    page = client.get("/audit").get_data(as_text=True)
    assert "\\u0027" not in page and "{&#34;" not in page and '{"note"' not in page
    assert "<dt>note</dt><dd>vendor&#39;s file</dd>" in page
    assert "<dt>ids</dt><dd>1, 2</dd>" in page


def test_an_expired_api_token_is_refused(client, runtime, accounts) -> None:
    with session_scope(runtime.engine) as session:
        token = users.issue_token(session, "viewer", expires_in_days=30)
    assert client.get("/api/messages", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with session_scope(runtime.engine) as session:
        user = session.exec(select(User).where(User.username == "viewer")).one()
        user.api_token_expires_at = utcnow() - timedelta(seconds=1)
        session.add(user)
    assert client.get("/api/messages", headers={"Authorization": f"Bearer {token}"}).status_code == 401
