"""CSRF: every form POST without the session's token is refused and changes nothing."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from gateway.store import session_scope
from gateway.store.models import AuditEntry, Discrepancy, Message
from tests.console.conftest import csrf_token, login_as


def _counts(runtime) -> tuple:
    with session_scope(runtime.engine) as session:
        return (
            session.exec(select(func.count()).select_from(AuditEntry)).one(),
            tuple(session.exec(select(Message.state).order_by(Message.id)).all()),
            tuple(session.exec(select(Discrepancy.status).order_by(Discrepancy.id)).all()),
        )


def test_posts_without_or_with_a_wrong_token_are_refused(client, runtime, seeded) -> None:
    failed = seeded["failed_message"]
    login_as(client, runtime, "admin")
    good = csrf_token(client)
    other = csrf_token(client.application.test_client(), "/login")  # another session's token
    before = _counts(runtime)
    targets = [
        (f"/messages/{failed}/replay", {"reason": "x"}),
        ("/discrepancies/1/acknowledge", {"note": "x"}),
        (f"/invoices/{seeded['invoice']}/send", {}),
        ("/bulk-replay", {"partner": "amazon-us", "reason": "x"}),
        ("/logout", {}),
    ]
    for path, form in targets:
        for token in (None, "", "forged-token", other, good[:-4] + "AAAA"):
            data = dict(form) if token is None else {**form, "csrf_token": token}
            response = client.post(path, data=data)
            assert response.status_code == 400, (path, token)
            assert "The form was refused" in response.get_data(as_text=True)
    assert _counts(runtime) == before
    assert client.get("/").status_code == 200  # still logged in: the refused logout did nothing


def test_the_same_post_with_the_token_goes_through(client, runtime, seeded) -> None:
    login_as(client, runtime, "operator")
    response = client.post(
        "/discrepancies/1/acknowledge", data={"note": "looking", "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 302
    with session_scope(runtime.engine) as session:
        assert session.get(Discrepancy, 1).status == "acknowledged"
        entry = session.exec(select(AuditEntry).where(AuditEntry.target_type == "discrepancy")).first()
    assert entry is not None and entry.actor == "operator"
