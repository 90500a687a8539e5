"""A suspect duplicate in the console: the diff on the message page (escaped), the two decisions
(operator, CSRF, audited) and the API."""

from __future__ import annotations

from sqlmodel import select

from gateway.console import users
from gateway.service import pipeline
from gateway.store import session_scope
from gateway.store.models import AuditEntry, Message
from tests.console.conftest import login_as, post_form, sample


def _po(quantity: bytes) -> bytes:
    return sample("x12_4010_850_new_po.edi").replace(b"PO1*1*24*EA", b"PO1*1*" + quantity + b"*EA")


def _held(runtime) -> tuple[int, int]:
    first = pipeline.ingest(runtime, _po(b"24"), "po.edi")
    held = pipeline.ingest(runtime, _po(b"25<b>"), "po-changed.edi")
    assert held.state == "suspect_duplicate"
    return first.message_id, held.message_id


def _state(runtime, message_id: int) -> str:
    with session_scope(runtime.engine) as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message.state


def test_the_page_shows_the_diff_escaped_and_files_it_as_duplicate(client, runtime, accounts) -> None:
    first, held = _held(runtime)
    login_as(client, runtime, "viewer")
    page = client.get(f"/messages/{held}").get_data(as_text=True)
    assert 'id="suspect-diff"' in page and "Process as new" not in page
    assert "+PO1*1*25&lt;b&gt;*EA" in page and "-PO1*1*24*EA" in page and "<b>" not in page
    assert (
        post_form(client, f"/messages/{held}/suspect", {"decision": "duplicate", "reason": "x"}).status_code
        == 403
    )
    login_as(client, runtime, "operator")
    data = {"decision": "duplicate", "reason": "same order"}
    assert client.post(f"/messages/{held}/suspect", data=data).status_code == 400  # no CSRF token
    assert _state(runtime, held) == "suspect_duplicate"
    post_form(client, f"/messages/{held}/suspect", data, token_from=f"/messages/{held}")
    assert _state(runtime, held) == "duplicate"
    with session_scope(runtime.engine) as session:
        (entry,) = session.exec(
            select(AuditEntry).where(AuditEntry.action == "suspect_duplicate_duplicate")
        ).all()
        assert (entry.actor, entry.reason) == ("operator", "same order")
    assert f'href="/messages/{first}"' in client.get(f"/messages/{held}").get_data(as_text=True)


def test_the_api_processes_it_as_new(client, runtime, accounts) -> None:
    _first, held = _held(runtime)
    with session_scope(runtime.engine) as session:
        token = users.issue_token(session, "operator")
    auth = {"Authorization": f"Bearer {token}"}
    bad = client.post(
        f"/api/messages/{held}/suspect", json={"decision": "maybe", "reason": "x"}, headers=auth
    )
    assert bad.status_code == 400
    response = client.post(
        f"/api/messages/{held}/suspect", json={"decision": "new", "reason": "a real change"}, headers=auth
    )
    assert response.status_code == 200
    assert response.get_json()["state"] == _state(runtime, held) != "suspect_duplicate"
    again = client.post(
        f"/api/messages/{held}/suspect", json={"decision": "new", "reason": "x"}, headers=auth
    )
    assert again.status_code == 409


def test_the_dashboard_lists_held_messages(client, runtime, accounts) -> None:
    login_as(client, runtime, "viewer")
    assert "Held as suspect duplicates" not in client.get("/").get_data(as_text=True)
    _first, held = _held(runtime)
    page = client.get("/").get_data(as_text=True)
    assert "Held as suspect duplicates" in page and f"/messages/{held}" in page
