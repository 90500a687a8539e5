"""Ways out of a failure a replay cannot fix: a corrected file, another partner, resolve or ignore;
from the message page (operator, CSRF, reason) and by API, each audited, and the dashboard counts
only the failures still needing action."""

from __future__ import annotations

import io

import pytest
from sqlmodel import select

from gateway.console import users
from gateway.service import pipeline
from gateway.store import session_scope
from gateway.store.models import AuditEntry, Message
from tests.console.conftest import login_as, post_form, sample

BAD = "bad_x12_850_se_count.edi"


def corrected() -> bytes:
    """The bad-count sample with its SE count fixed (ten segments from ST to SE)."""
    data = sample(BAD)
    assert b"SE*12*0001" in data
    return data.replace(b"SE*12*0001", b"SE*10*0001")


def _message(runtime, message_id: int) -> Message:
    with session_scope(runtime.engine) as session:
        message = session.get(Message, message_id)
        session.expunge(message)
        return message


def _audit(runtime, action: str) -> list[AuditEntry]:
    with session_scope(runtime.engine) as session:
        rows = list(session.exec(select(AuditEntry).where(AuditEntry.action == action)))
        for row in rows:
            session.expunge(row)
        return rows


def _failed(runtime, name: str = BAD, **origin) -> int:
    receipt = pipeline.ingest(runtime, sample(name), name, mailbox="local", **origin)
    assert receipt.state == "failed"
    return receipt.message_id


def _upload(client, message_id: int, data: bytes, reason: str = "SE count fixed by the partner"):
    return post_form(
        client,
        f"/messages/{message_id}/correct",
        {"reason": reason, "file": (io.BytesIO(data), "fixed.edi")},
        token_from=f"/messages/{message_id}",
        content_type="multipart/form-data",
    )


def test_a_corrected_upload_resolves_the_original_and_links_both(client, runtime, accounts) -> None:
    original = _failed(runtime)
    login_as(client, runtime, "operator")
    assert "Upload corrected file" in client.get(f"/messages/{original}").get_data(as_text=True)

    response = _upload(client, original, corrected())
    assert response.status_code == 302
    copy_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    copy = _message(runtime, copy_id)
    assert copy.corrects_id == original and copy.state == "done" and copy.partner == "amazon-us"
    assert _message(runtime, original).state == "resolved"

    old_page = client.get(f"/messages/{original}").get_data(as_text=True)
    assert "Corrected by" in old_page and f'href="/messages/{copy_id}"' in old_page
    new_page = client.get(f"/messages/{copy_id}").get_data(as_text=True)
    assert "Corrects" in new_page and f'href="/messages/{original}"' in new_page
    [entry] = _audit(runtime, "correct")
    assert entry.actor == "operator" and entry.target_id == str(original)
    assert entry.detail["correction_id"] == copy_id and entry.reason == "SE count fixed by the partner"
    # the dashboard's failed list is what still needs action: the original left it
    assert f'href="/messages/{original}"' not in client.get("/").get_data(as_text=True)


def test_a_correction_that_fails_too_still_needs_action(client, runtime, accounts) -> None:
    original = _failed(runtime)
    login_as(client, runtime, "operator")
    response = _upload(client, original, sample(BAD).replace(b"ACMEVENDOR", b"SOMEONEELS"))
    copy_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    assert _message(runtime, copy_id).state == "failed"
    assert _message(runtime, original).state == "resolved"
    assert f'href="/messages/{copy_id}"' in client.get("/").get_data(as_text=True)


def test_a_file_in_the_wrong_mailbox_is_reassigned_and_processed(client, runtime, accounts) -> None:
    message_id = _failed(runtime, "x12_4010_850_new_po.edi", partner="warehouse")
    assert "wrong_mailbox" in (_message(runtime, message_id).error_code or "").lower()
    login_as(client, runtime, "operator")
    response = post_form(
        client,
        f"/messages/{message_id}/reassign",
        {"partner": "amazon-us", "reason": "dropped in the 3PL's folder"},
        token_from=f"/messages/{message_id}",
    )
    assert response.status_code == 302
    message = _message(runtime, message_id)
    assert message.partner == "amazon-us" and message.state == "done"
    [entry] = _audit(runtime, "reassign")
    assert entry.detail == {"from_partner": "warehouse", "to_partner": "amazon-us"}


@pytest.mark.parametrize("outcome", ["resolved", "ignored"])
def test_resolve_or_ignore_needs_a_reason_and_is_audited(client, runtime, accounts, outcome) -> None:
    message_id = _failed(runtime)
    login_as(client, runtime, "operator")
    path = f"/messages/{message_id}/settle"
    page = f"/messages/{message_id}"
    post_form(client, path, {"outcome": outcome, "reason": "  "}, token_from=page)
    assert _message(runtime, message_id).state == "failed"
    post_form(client, path, {"outcome": outcome, "reason": "sent again by e-mail"}, token_from=page)
    assert _message(runtime, message_id).state == outcome
    [entry] = _audit(runtime, "resolve" if outcome == "resolved" else "ignore")
    assert entry.reason == "sent again by e-mail"
    assert "sent again by e-mail" in client.get(page).get_data(as_text=True)  # on the timeline


def test_a_viewer_cannot_and_a_post_without_csrf_is_refused(client, runtime, accounts) -> None:
    message_id = _failed(runtime)
    login_as(client, runtime, "viewer")
    assert "Upload corrected file" not in client.get(f"/messages/{message_id}").get_data(as_text=True)
    data = {"outcome": "ignored", "reason": "x"}
    assert post_form(client, f"/messages/{message_id}/settle", data).status_code == 403
    login_as(client, runtime, "operator")
    assert client.post(f"/messages/{message_id}/settle", data=data).status_code == 400  # no CSRF token
    assert _message(runtime, message_id).state == "failed"


def test_the_api_corrects_reassigns_and_settles(client, runtime, accounts) -> None:
    with session_scope(runtime.engine) as session:
        token = users.issue_token(session, "operator")
    auth = {"Authorization": f"Bearer {token}"}
    original = _failed(runtime)
    response = client.post(
        f"/api/messages/{original}/correct",
        data={"reason": "fixed", "file": (io.BytesIO(corrected()), "fixed.edi")},
        headers=auth,
        content_type="multipart/form-data",
    )
    body = response.get_json()
    assert response.status_code == 200 and body["state"] == "resolved" and body["correction_state"] == "done"
    again = client.post(f"/api/messages/{original}/ignore", json={"reason": "twice"}, headers=auth)
    assert again.status_code == 409 and "not failed" in again.get_json()["error"]

    wrong = _failed(runtime, "x12_4010_850_case_pack.edi", partner="warehouse")
    moved = client.post(
        f"/api/messages/{wrong}/reassign", json={"partner": "amazon-us", "reason": "r"}, headers=auth
    )
    assert moved.status_code == 200 and moved.get_json()["state"] == "done"
    bad = client.post(
        f"/api/messages/{wrong}/reassign", json={"partner": "nobody", "reason": "r"}, headers=auth
    )
    assert bad.status_code == 400

    third = _failed(runtime, "bad_x12_850_unknown_partner.edi")
    assert client.post(f"/api/messages/{third}/resolve", json={}, headers=auth).status_code == 400
    done = client.post(f"/api/messages/{third}/resolve", json={"reason": "not ours"}, headers=auth)
    assert done.status_code == 200 and _message(runtime, third).state == "resolved"
