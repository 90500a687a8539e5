"""Ship notices to Amazon: built from the warehouse's ASN and the PO, pre-checked, rendered (X12 856
5010, EDIFACT DESADV), queued through the partner's mailbox, read back by our own readers; carton labels
archived beside them; every pre-check that blocks, with its code."""

from __future__ import annotations

import io
from datetime import date

import pdfplumber
from sqlmodel import select

from gateway.canonical.gs1 import make_sscc
from gateway.edi import parse
from gateway.shipping.send import send_ship_notice
from gateway.store import session_scope
from gateway.store.models import Message, ShipNoticeRecord
from tests.money.conftest import ITEMS, asn, po, store

US, EU, WH = "amazon-us", "amazon-eu", "warehouse"
DAY = date(2026, 1, 16)


def sscc(serial: int) -> str:
    return make_sscc(0, "0840012345", serial)


def cartons(*serials: int, line: str = "1", qty: int = 12) -> list[dict]:
    return [
        {"sscc": sscc(s), "contents": [{"line_no": line, "item": ITEMS[line], "quantity": qty}]}
        for s in serials
    ]


def warehouse_asn(shipment_id: str = "ASN-1", serials: tuple[int, ...] = (1, 2), **extra):
    extra.setdefault("carrier_scac", "UPSN")
    extra.setdefault("bol", "BOL778899")
    return asn(shipment_id, {"1": 12 * len(serials)}, packages=cartons(*serials), **extra)


def send(runtime, shipment_id: str = "ASN-1"):
    with session_scope(runtime.engine) as session:
        out = send_ship_notice(
            session, runtime.partners, runtime.mappings, runtime.archive, shipment_id, today=DAY
        )
        return out, out.record.message_id, [r.code for r in out.reasons]


def test_a_warehouse_asn_goes_to_amazon_as_an_856_5010_that_reads_back(runtime) -> None:
    with session_scope(runtime.engine) as session:
        store(session, US, po())
        store(session, WH, warehouse_asn())
    out, message_id, reasons = send(runtime)
    assert reasons == [] and out.queued
    with session_scope(runtime.engine) as session:
        message = session.get(Message, message_id)
        record = session.exec(select(ShipNoticeRecord)).one()
        assert (message.partner, message.mailbox, message.state) == (US, "local", "queued")
        assert message.filename.startswith("amazon-us_856_")
        labels_key = record.labels_key
        data = runtime.archive.read(message.sha256)
    parsed = parse(data)
    assert parsed.ok, parsed.errors
    (tx,) = parsed.transactions
    assert (tx.type, tx.version[:6]) == ("856", "005010")
    back = runtime.mappings.translate(tx)
    diff = {
        k: (v, back.model_dump()[k]) for k, v in out.notice.model_dump().items() if back.model_dump()[k] != v
    }
    assert back == out.notice, diff
    assert b"MAN*GM*00" + sscc(1).encode() in data and b"N1*ST**92*ABE8~" in data
    with pdfplumber.open(io.BytesIO(runtime.archive.read(labels_key))) as pdf:
        assert len(pdf.pages) == 2
        assert f"(00) {sscc(2)}" in pdf.pages[1].extract_text()
    _, again_id, _ = send(runtime)  # idempotent: the notice already queued is the answer
    assert again_id == message_id


def test_an_eu_asn_goes_as_a_desadv_that_reads_back(runtime) -> None:
    with session_scope(runtime.engine) as session:
        store(session, EU, po(currency="EUR"))
        store(session, WH, warehouse_asn())
    out, message_id, reasons = send(runtime)
    assert reasons == []
    with session_scope(runtime.engine) as session:
        data = runtime.archive.read(session.get(Message, message_id).sha256)
    parsed = parse(data)
    assert parsed.ok, parsed.errors
    (tx,) = parsed.transactions
    assert tx.type == "DESADV"
    assert runtime.mappings.translate(tx) == out.notice
    assert f"GIN+BJ+{sscc(1)}'".encode() in data


def test_an_sscc_sent_before_blocks_the_next_notice(runtime) -> None:
    with session_scope(runtime.engine) as session:
        store(session, US, po())
        store(session, WH, warehouse_asn("ASN-1", (1,)))
        store(session, WH, warehouse_asn("ASN-2", (1,), ship_date=date(2026, 1, 16)))
    assert send(runtime, "ASN-1")[2] == []
    out, message_id, reasons = send(runtime, "ASN-2")
    assert "sscc_used_before" in reasons and message_id is None
    assert out.record.status == "blocked"
    assert any(sscc(1) in r["message"] for r in out.record.reasons)


def test_each_pre_check_blocks_with_its_code(runtime) -> None:
    bad = sscc(7)[:-1] + str((int(sscc(7)[-1]) + 1) % 10)
    cases = {
        "sscc_check_digit": dict(
            packages=[{"sscc": bad, "contents": [{"item": ITEMS["1"], "quantity": 12}]}]
        ),
        "asn_ship_date_in_future": dict(ship_date=date(2026, 1, 20)),
        "shipped_after_window": dict(ship_date=date(2026, 1, 27)),
        "carrier_scac_missing": dict(carrier_scac=None),
        "carton_mismatch": dict(packages=cartons(3, qty=10)),
        "shipped_over_confirmed": dict(lines={"1": 30}, packages=cartons(4, qty=30)),
        "asn_bol_is_date": dict(bol="20260115"),
    }
    with session_scope(runtime.engine) as session:
        for n, (code, extra) in enumerate(cases.items()):
            number = f"4TQ8ZK2{'ABCDEFGHJ'[n]}"  # a PO of its own per case
            store(session, US, po(number, not_after=date(2026, 1, 26)))
            lines = extra.pop("lines", {"1": 12})
            extra.setdefault("packages", cartons(100 + n))
            extra.setdefault("carrier_scac", "UPSN")
            store(session, WH, asn(f"ASN-{code}", lines, po_number=number, **extra))
    for code in cases:
        today = date(2026, 1, 28) if code == "shipped_after_window" else DAY
        with session_scope(runtime.engine) as session:
            out = send_ship_notice(
                session, runtime.partners, runtime.mappings, runtime.archive, f"ASN-{code}", today=today
            )
        assert code in [r.code for r in out.reasons], (code, out.reasons)
        assert out.record.status == "blocked"


def test_a_queued_notice_that_now_ships_over_the_confirmed_quantity_is_held_at_send(
    runtime, tmp_path, monkeypatch
) -> None:
    """Queued, then a second warehouse ASN of the same PO line arrives: at send the notice would
    tell Amazon of more than it confirmed, so it goes back to ``blocked`` with the reason, audited;
    its own SSCCs and shipment id do not count as "sent before"."""
    from gateway.service import mailboxes
    from gateway.store.models import AuditEntry

    monkeypatch.chdir(tmp_path)  # the local mailbox's relative folder
    with session_scope(runtime.engine) as session:
        store(session, US, po())
        store(session, WH, warehouse_asn("ASN-1", (1, 2)))  # line 1: 24 of 24
    out, message_id, reasons = send(runtime)
    assert reasons == [] and out.queued
    with session_scope(runtime.engine) as session:
        store(session, WH, warehouse_asn("ASN-2", (3,)))  # 12 more: 36 > 24
    summary = mailboxes.send_due(runtime)
    assert (summary.sent, summary.blocked) == (0, 1)
    with session_scope(runtime.engine) as session:
        assert session.get(Message, message_id).state == "blocked"
        record = session.exec(select(ShipNoticeRecord)).one()
        codes = [r["code"] for r in record.reasons]
        assert record.status == "blocked" and codes == ["shipped_over_confirmed"], codes
        audit = session.exec(
            select(AuditEntry).where(AuditEntry.action == "ship_notice.blocked_at_send")
        ).one()
        assert audit.target_id == str(record.id) and "36 EA shipped, 24 EA confirmed" in audit.reason


def test_a_queued_notice_still_right_is_sent(runtime, tmp_path, monkeypatch) -> None:
    from gateway.service import mailboxes

    monkeypatch.chdir(tmp_path)
    with session_scope(runtime.engine) as session:
        store(session, US, po())
        store(session, WH, warehouse_asn("ASN-1", (1, 2)))
    out, message_id, _ = send(runtime)
    assert out.queued
    summary = mailboxes.send_due(runtime)
    assert (summary.sent, summary.blocked) == (1, 0)
    with session_scope(runtime.engine) as session:
        assert session.get(Message, message_id).state == "sent"
        assert session.exec(select(ShipNoticeRecord)).one().status == "queued"


def test_a_replaced_warehouse_asn_is_rendered_again_at_send(runtime, tmp_path, monkeypatch) -> None:
    """Queued, then the warehouse replaces its ASN (another BOL, a third carton): the notice still
    passes its rules, so at send it is rendered again from the ASN of now, with fresh labels and the
    new SSCC recorded, and what leaves reads back to that notice."""
    from gateway.service import mailboxes
    from gateway.store.models import MessageEvent, SsccUse

    monkeypatch.chdir(tmp_path)
    with session_scope(runtime.engine) as session:
        store(session, US, po())
        store(session, WH, warehouse_asn("ASN-1", (1,)))
    out, message_id, _ = send(runtime)
    assert out.queued
    with session_scope(runtime.engine) as session:
        before = session.get(Message, message_id).sha256
        store(session, WH, warehouse_asn("ASN-1", (1, 2), bol="BOL000111"))  # the same ASN, replaced
    summary = mailboxes.send_due(runtime)
    assert (summary.sent, summary.blocked) == (1, 0)
    with session_scope(runtime.engine) as session:
        message = session.get(Message, message_id)
        assert message.state == "sent" and message.sha256 != before
        data = runtime.archive.read(message.sha256)
        assert b"REF*BM*BOL000111~" in data and b"MAN*GM*00" + sscc(2).encode() in data
        events = session.exec(select(MessageEvent).where(MessageEvent.message_id == message_id)).all()
        assert any("re-rendered at send" in (e.note or "") for e in events)
        uses = sorted(u.sscc for u in session.exec(select(SsccUse)).all())
        assert uses == sorted([sscc(1), sscc(2)])
        record = session.exec(select(ShipNoticeRecord)).one()
        with pdfplumber.open(io.BytesIO(runtime.archive.read(record.labels_key))) as pdf:
            assert len(pdf.pages) == 2
    (tx,) = parse(data).transactions
    back = runtime.mappings.translate(tx)
    assert [p.sscc for p in back.packages] == [sscc(1), sscc(2)] and back.bol == "BOL000111"
