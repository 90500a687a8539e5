"""Logging in and out: the real form, cookies, disabled users, password changes, redirects, audit."""

from __future__ import annotations

from sqlmodel import select

from gateway.console import users
from gateway.store import session_scope
from gateway.store.models import AuditEntry
from tests.console.conftest import PASSWORD, csrf_token, login_as


def _audit(runtime) -> list[tuple[str, str]]:
    with session_scope(runtime.engine) as session:
        return [(a.actor, a.action) for a in session.exec(select(AuditEntry).order_by(AuditEntry.id))]


def test_login_with_the_form_sets_a_safe_cookie_and_is_audited(client, runtime) -> None:
    token = csrf_token(client, "/login")
    response = client.post(
        "/login",
        data={"username": "operator", "password": PASSWORD, "csrf_token": token, "next": "/messages"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/messages"
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("acorn_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert client.get("/messages").status_code == 200
    assert ("operator", "login") in _audit(runtime)


def test_wrong_password_unknown_user_and_disabled_user_are_refused(client, runtime) -> None:
    for name, password in (("operator", "wrong password!"), ("nobody", PASSWORD), ("retired", PASSWORD)):
        token = csrf_token(client, "/login")
        response = client.post("/login", data={"username": name, "password": password, "csrf_token": token})
        assert response.status_code == 401, name
        assert "Unknown user or wrong password." in response.get_data(as_text=True)
        assert client.get("/").status_code == 302
    assert [a for a in _audit(runtime) if a[1] == "login.failed"] == [
        ("operator", "login.failed"),
        ("(unknown user)", "login.failed"),
        ("retired", "login.failed"),
    ]


def test_login_without_csrf_token_is_refused(client) -> None:
    client.get("/login")
    response = client.post("/login", data={"username": "operator", "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_next_is_only_followed_to_local_paths(client) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        token = csrf_token(client, "/login")
        response = client.post(
            "/login", data={"username": "viewer", "password": PASSWORD, "csrf_token": token, "next": target}
        )
        assert response.headers["Location"] == "/", target
        client.post("/logout", data={"csrf_token": csrf_token(client)})


def test_logout_is_a_post_with_csrf(client, runtime) -> None:
    login_as(client, runtime, "viewer")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400  # no CSRF token
    assert client.get("/").status_code == 200
    response = client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/login"
    assert client.get("/").status_code == 302
    assert ("viewer", "logout") in _audit(runtime)


def test_a_new_password_or_disabling_ends_open_sessions(client, runtime) -> None:
    login_as(client, runtime, "operator")
    assert client.get("/").status_code == 200
    with session_scope(runtime.engine) as session:
        users.set_password(session, "operator", "another secret phrase")
    assert client.get("/").status_code == 302
    login_as(client, runtime, "operator")
    assert client.get("/").status_code == 200
    with session_scope(runtime.engine) as session:
        users.set_disabled(session, "operator", True)
    assert client.get("/").status_code == 302


def test_the_session_cookie_is_signed(client, runtime) -> None:
    client.set_cookie("acorn_session", "eyJ1c2VyX2lkIjoxfQ.forged.signature")
    assert client.get("/").status_code == 302
