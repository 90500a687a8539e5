"""Issue 17 item 6 on the demo's own data: each PO's page shows, in one timeline, the 855 / ORDRSP,
the warehouse's ASN and our 856 / DESADV with its carton labels, the 810 / INVOIC and the credit
note, and names the partner's latest 846 / INVRPT; a document held ``blocked`` lists its reasons
and, for an operator, its actions.

The demo runs as ``tests/test_demo_outbound.py`` runs it (``acorn db upgrade``, ``acorn demo``,
``acorn run --once`` twice) on a copy of the shipped config.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlmodel import select

from gateway.console import create_app
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import Document, ShipNoticeRecord, User
from gateway.store.money import InvoiceCheck
from tests.console.conftest import login_as
from tests.test_demo_outbound import demo  # noqa: F401  (the module-scoped demo run)

#: per demo PO: its partner, and what its timeline must show
POS = {
    "4TQ8ZK2M": ("amazon-us", "846"),
    "8MV2KD4R": ("amazon-eu", "INVRPT"),
}
KINDS = ("purchase order", "acknowledgement", "ship notice", "our ship notice", "invoice", "credit note")


@pytest.fixture
def console(demo: Path, monkeypatch, password_hash: str) -> Iterator[tuple[Runtime, FlaskClient]]:  # noqa: F811
    monkeypatch.chdir(demo.parent)  # the demo's database is a relative path
    runtime = Runtime.open(demo)
    with session_scope(runtime.engine) as session:
        for name in ("op", "view"):
            if session.exec(select(User).where(User.username == name)).first() is None:
                role = "operator" if name == "op" else "viewer"
                session.add(User(username=name, role=role, password_hash=password_hash))
    app = create_app(runtime, {"TESTING": True, "SECRET_KEY": "test-secret-not-for-production"})
    try:
        yield runtime, app.test_client()
    finally:
        runtime.close()


def _timeline(page: str) -> str:
    return page.split("<h2>Timeline</h2>")[1].split("</table>")[0]


def _kinds(timeline: str) -> list[str]:
    return re.findall(r"<tr [^>]*>\s*<td>[^<]*</td>\s*<td>([^<+]*?)\s*(?:\+|</td>)", timeline)


@pytest.mark.parametrize("po_number", sorted(POS))
def test_each_demo_po_shows_every_document_it_led_to(console, po_number: str) -> None:
    runtime, client = console
    partner, feed = POS[po_number]
    login_as(client, runtime, "view")
    response = client.get(f"/po/{po_number}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    timeline = _timeline(page)
    kinds = _kinds(timeline)
    for kind in KINDS:
        assert kind in kinds, (po_number, kinds)
    assert kinds.index("purchase order") < kinds.index("acknowledgement") < kinds.index("invoice")
    assert kinds.index("ship notice") < kinds.index("our ship notice")  # ours follows the ASN it came from
    with session_scope(runtime.engine) as session:
        (notice,) = session.exec(select(ShipNoticeRecord).where(ShipNoticeRecord.partner == partner)).all()
    assert f"/ship-notices/{notice.id}/labels.pdf" in timeline
    labels = client.get(f"/ship-notices/{notice.id}/labels.pdf")
    assert labels.status_code == 200 and labels.data.startswith(b"%PDF")
    assert f"{feed} to {partner}, slot " in page and f"/inventory-feeds?partner={partner}" in page


def test_a_blocked_invoice_and_ship_notice_show_their_reasons_and_actions(console) -> None:
    runtime, client = console
    reason = {"code": "shipped_over_confirmed", "message": "line 1: 36 EA shipped, 24 EA confirmed"}
    invoice_reason = {"code": "duplicate_invoice", "message": "shipment already invoiced by the ERP"}
    with session_scope(runtime.engine) as session:
        notice = session.exec(select(ShipNoticeRecord).where(ShipNoticeRecord.partner == "amazon-us")).one()
        invoice = session.exec(
            select(Document).where(Document.type == "invoice", Document.po_number == "4TQ8ZK2M")
        ).first()
        assert invoice is not None
        check = session.exec(select(InvoiceCheck).where(InvoiceCheck.document_id == invoice.id)).first()
        check = check or InvoiceCheck(document_id=invoice.id, reasons=[])
        was = (notice.status, notice.reasons, invoice.status, check.reasons)
        notice.status, notice.reasons, invoice.status = "blocked", [reason], "blocked"
        check.reasons = [invoice_reason]
        session.add_all([notice, invoice, check])
        ids = (notice.id, invoice.id)
    try:
        login_as(client, runtime, "op")
        timeline = _timeline(client.get("/po/4TQ8ZK2M").get_data(as_text=True))
        assert "shipped_over_confirmed: line 1: 36 EA shipped, 24 EA confirmed" in timeline
        assert "duplicate_invoice: shipment already invoiced by the ERP" in timeline
        for action in ("approve", "cancel"):
            assert f'action="/ship-notices/{ids[0]}/{action}"' in timeline
        for action in ("approve", "recheck", "cancel"):
            assert f'action="/invoices/{ids[1]}/{action}"' in timeline
        login_as(client, runtime, "view")
        timeline = _timeline(client.get("/po/4TQ8ZK2M").get_data(as_text=True))
        assert "shipped_over_confirmed" in timeline and f"/ship-notices/{ids[0]}/cancel" not in timeline
    finally:  # the demo's database is shared by the module's tests
        with session_scope(runtime.engine) as session:
            notice, invoice = session.get(ShipNoticeRecord, ids[0]), session.get(Document, ids[1])
            check = session.exec(select(InvoiceCheck).where(InvoiceCheck.document_id == ids[1])).one()
            notice.status, notice.reasons, invoice.status, check.reasons = was
            session.add_all([notice, invoice, check])
