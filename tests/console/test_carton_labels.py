"""Carton labels in the console (issue 17): a PO's page lists the ship notices we built from its
shipments, and each notice's GS1-128 labels open as the PDF archived beside it; a viewer may print
them, a notice without labels (blocked) or an unknown one is a 404."""

from __future__ import annotations

import io
from datetime import date

import pdfplumber
from sqlmodel import select

from gateway.shipping.send import send_ship_notice
from gateway.store import session_scope
from gateway.store.models import ShipNoticeRecord
from tests.console.conftest import login_as
from tests.money.conftest import po, store
from tests.money.test_ship_notice_send import US, WH, sscc, warehouse_asn

DAY = date(2026, 1, 16)


def _notices(runtime) -> list[ShipNoticeRecord]:
    with session_scope(runtime.engine) as session:
        store(session, US, po())
    for shipment in (warehouse_asn(), warehouse_asn("ASN-2", serials=(3,), carrier_scac=None)):
        with session_scope(runtime.engine) as session:
            store(session, WH, shipment)
            archive, mappings = runtime.archive, runtime.mappings
            send_ship_notice(session, runtime.partners, mappings, archive, shipment.shipment_id, today=DAY)
    with session_scope(runtime.engine) as session:
        return list(session.exec(select(ShipNoticeRecord).order_by(ShipNoticeRecord.id)).all())


def test_the_po_page_links_each_notices_labels(client, runtime) -> None:
    queued, blocked = _notices(runtime)
    assert (queued.status, blocked.status) == ("queued", "blocked"), queued.reasons
    login_as(client, runtime, "viewer")
    page = client.get("/po/4TQ8ZK2M").get_data(as_text=True)
    assert "Our ship notices to amazon-us" in page
    assert f"/ship-notices/{queued.id}/labels.pdf" in page
    assert f"/ship-notices/{blocked.id}/labels.pdf" not in page and "blocked" in page
    response = client.get(f"/ship-notices/{queued.id}/labels.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    with pdfplumber.open(io.BytesIO(response.data)) as pdf:
        assert len(pdf.pages) == 2
        assert f"(00) {sscc(1)}" in pdf.pages[0].extract_text()
    assert client.get(f"/ship-notices/{blocked.id}/labels.pdf").status_code == 404
    assert client.get("/ship-notices/999999/labels.pdf").status_code == 404


def test_labels_need_a_login(client, runtime) -> None:
    queued, _ = _notices(runtime)
    response = client.get(f"/ship-notices/{queued.id}/labels.pdf")
    assert response.status_code in (302, 401)
