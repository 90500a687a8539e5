"""A blocked ship notice (856 / DESADV) on the PO's page: its reasons, and an operator's approve
(built again from the ASN of now, queued if it passes) or cancel (with a reason), audited, in the
console (CSRF, operator role) and the JSON API (issue 17, item 6)."""

from __future__ import annotations

from sqlmodel import select

from gateway.service import mailboxes
from gateway.shipping.send import send_ship_notice
from gateway.store import session_scope
from gateway.store.models import AuditEntry, Message, ShipNoticeRecord, SsccUse
from tests.console.conftest import login_as, post_form
from tests.console.test_api import _token
from tests.money.conftest import po, store
from tests.money.test_ship_notice_send import DAY, US, WH, sscc, warehouse_asn

PO = "4TQ8ZK2M"
PAGE = f"/po/{PO}"


def _blocked_at_send(runtime, tmp_path, monkeypatch) -> tuple[ShipNoticeRecord, int]:
    """ASN-1 (24 EA) queued as our notice; ASN-2 (12 EA more) arrives: at send ASN-1's notice would
    tell Amazon 36 EA of 24 confirmed, so it is held ``blocked`` with its message."""
    monkeypatch.chdir(tmp_path)  # the local mailbox's relative folder
    with session_scope(runtime.engine) as session:
        store(session, US, po())
        store(session, WH, warehouse_asn("ASN-1", (1, 2)))
        out = send_ship_notice(
            session, runtime.partners, runtime.mappings, runtime.archive, "ASN-1", today=DAY
        )
        assert out.queued, out.reasons
        message_id = out.record.message_id
    with session_scope(runtime.engine) as session:
        store(session, WH, warehouse_asn("ASN-2", (3,)))
    summary = mailboxes.send_due(runtime)
    assert (summary.sent, summary.blocked) == (0, 1)
    with session_scope(runtime.engine) as session:
        record = session.exec(select(ShipNoticeRecord)).one()
        assert record.status == "blocked" and session.get(Message, message_id).state == "blocked"
        return record, message_id


def _record(runtime, record_id: int) -> ShipNoticeRecord:
    with session_scope(runtime.engine) as session:
        return session.get(ShipNoticeRecord, record_id)


def _audit(runtime, action: str) -> list[AuditEntry]:
    with session_scope(runtime.engine) as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


def test_the_po_page_shows_a_blocked_notices_reasons_and_an_operators_actions(
    client, runtime, tmp_path, monkeypatch
) -> None:
    record, _ = _blocked_at_send(runtime, tmp_path, monkeypatch)
    action = f"/ship-notices/{record.id}/approve"
    login_as(client, runtime, "viewer")
    page = client.get(PAGE).get_data(as_text=True)
    assert "shipped_over_confirmed: " in page and "36 EA shipped, 24 EA confirmed" in page
    assert action not in page  # a viewer sees the reasons, not the buttons
    login_as(client, runtime, "operator")
    page = client.get(PAGE).get_data(as_text=True)
    assert action in page and f"/ship-notices/{record.id}/cancel" in page


def test_an_operator_cancels_a_blocked_notice_with_a_reason(client, runtime, tmp_path, monkeypatch) -> None:
    record, message_id = _blocked_at_send(runtime, tmp_path, monkeypatch)
    login_as(client, runtime, "operator")
    path = f"/ship-notices/{record.id}/cancel"
    assert post_form(client, path, {"reason": " "}, token_from=PAGE).status_code == 400  # no reason
    assert client.post(path, data={"reason": "goods held"}).status_code == 400  # no CSRF token
    assert _record(runtime, record.id).status == "blocked"
    response = post_form(client, path, {"reason": "goods held", "next": PAGE}, token_from=PAGE)
    assert response.status_code == 302 and response.headers["Location"].endswith(PAGE)
    assert _record(runtime, record.id).status == "cancelled"
    with session_scope(runtime.engine) as session:
        assert session.get(Message, message_id).state == "cancelled"
    (entry,) = _audit(runtime, "ship_notice.cancelled")
    assert (entry.actor, entry.target_id, entry.reason) == ("operator", str(record.id), "goods held")
    assert entry.detail["shipment_id"] == "ASN-1" and entry.detail["po_numbers"] == [PO]
    # the warehouse's ASN stored again (a replay) does not bring a cancelled notice back
    with session_scope(runtime.engine) as session:
        again = send_ship_notice(session, runtime.partners, runtime.mappings, runtime.archive, "ASN-1")
        assert again.record.status == "cancelled" and again.record.message_id == message_id
    assert "only a blocked one is cancelled" in _flash_after(client, path, PAGE)


def _flash_after(client, path: str, page: str) -> str:
    response = post_form(client, path, {"reason": "again", "next": page}, token_from=page)
    assert response.status_code == 302
    return client.get(page).get_data(as_text=True)


def test_approve_refuses_while_a_rule_is_broken_then_sends_once_fixed(
    client, runtime, tmp_path, monkeypatch
) -> None:
    record, held_id = _blocked_at_send(runtime, tmp_path, monkeypatch)
    login_as(client, runtime, "operator")
    path = f"/ship-notices/{record.id}/approve"
    page = _flash_after(client, path, PAGE)
    assert "still fails: shipped_over_confirmed" in page
    assert _record(runtime, record.id).status == "blocked"
    (refused,) = _audit(runtime, "ship_notice.approve_refused")
    assert refused.actor == "operator" and "36 EA shipped" in refused.reason
    # the fix: the warehouse replaces ASN-1 with the one carton that really left (12 + 12 = 24)
    with session_scope(runtime.engine) as session:
        store(session, WH, warehouse_asn("ASN-1", (1,)))
    _flash_after(client, path, PAGE)
    after = _record(runtime, record.id)
    assert after.status == "queued" and after.reasons == [] and after.message_id != held_id
    with session_scope(runtime.engine) as session:
        assert session.get(Message, held_id).state == "cancelled"  # replaced, never sent
        new = session.get(Message, after.message_id)
        assert new.state == "queued" and new.direction == "out"
        data = runtime.archive.read(new.sha256)
        assert sscc(1).encode() in data and sscc(2).encode() not in data
        assert sscc(1) in set(session.exec(select(SsccUse.sscc)).all())
    (approved,) = _audit(runtime, "ship_notice.approved")
    assert approved.target_id == str(record.id)
    summary = mailboxes.send_due(runtime)
    assert (summary.sent, summary.blocked) == (1, 0)


def test_the_api_approves_and_cancels_with_a_token(client, runtime, accounts, tmp_path, monkeypatch) -> None:
    record, _ = _blocked_at_send(runtime, tmp_path, monkeypatch)
    path = f"/api/ship-notices/{record.id}"
    viewer, operator = _token(runtime, "viewer"), _token(runtime, "operator")
    assert client.post(f"{path}/cancel", json={"reason": "x"}, headers=viewer).status_code == 403
    assert client.post(f"{path}/cancel", json={}, headers=operator).status_code == 400
    read = client.get(f"/api/purchase-orders/{PO}", headers=viewer).get_json()
    (listed,) = read["ship_notices"]
    assert (listed["id"], listed["status"]) == (record.id, "blocked")
    assert [r["code"] for r in listed["reasons"]] == ["shipped_over_confirmed"]
    refused = client.post(f"{path}/approve", json={}, headers=operator)
    assert refused.status_code == 409 and "shipped_over_confirmed" in refused.get_json()["error"]
    assert client.post("/api/ship-notices/999999/approve", json={}, headers=operator).status_code == 404
    done = client.post(f"{path}/cancel", json={"reason": "goods held"}, headers=operator)
    assert done.status_code == 200, done.get_data(as_text=True)
    body = done.get_json()
    assert (body["id"], body["status"], body["shipment_id"]) == (record.id, "cancelled", "ASN-1")
    assert client.post(f"{path}/cancel", json={"reason": "again"}, headers=operator).status_code == 409
    (entry,) = _audit(runtime, "ship_notice.cancelled")
    assert entry.actor == "operator" and entry.reason == "goods held"
