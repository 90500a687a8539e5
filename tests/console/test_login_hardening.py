"""Login hardening: lockout per user and per address, server-side logout, cookie settings from
config.yaml, and user names that are no user never written down."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask
from sqlmodel import select

from gateway.config import load_settings
from gateway.console import create_app, users
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import AuditEntry, ConsoleSession
from tests.console.conftest import PASSWORD, csrf_token, login_as

LEAKED = "hunter2-is-my-password"


def _app(runtime: Runtime, **config) -> Flask:
    return create_app(runtime, {"TESTING": True, "SECRET_KEY": "k", **config})


def _login(client, username: str, password: str, address: str = "10.0.0.1"):
    token = csrf_token(client, "/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    )


def test_five_wrong_passwords_lock_the_user_out_even_with_the_right_one(runtime, accounts) -> None:
    client = _app(runtime).test_client()
    for _ in range(5):
        assert _login(client, "operator", "wrong password!").status_code == 401
    locked = _login(client, "operator", PASSWORD)
    assert locked.status_code == 429
    page = locked.get_data(as_text=True)
    assert "Too many failed logins for this user or from this address" in page
    assert client.get("/").status_code == 302  # not logged in
    # another user from another address is not affected
    assert _login(client, "viewer", PASSWORD, address="10.0.0.2").status_code == 302


def test_many_user_names_from_one_address_are_limited_per_address(runtime, accounts) -> None:
    client = _app(runtime, ACORN_LOGIN_LIMIT_PER_ADDRESS="3 per 15 minutes").test_client()
    for name in ("a-user", "b-user", "c-user"):
        assert _login(client, name, "guess-guess").status_code == 401
    assert _login(client, "admin", PASSWORD).status_code == 429
    assert _login(client, "admin", PASSWORD, address="10.0.0.9").status_code == 302


def test_a_cookie_replayed_after_logout_is_refused(runtime, accounts) -> None:
    client = _app(runtime).test_client()
    assert _login(client, "operator", PASSWORD).status_code == 302
    cookie = client.get_cookie("acorn_session")
    assert cookie is not None and client.get("/messages").status_code == 200
    token = csrf_token(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    client.set_cookie("acorn_session", cookie.value)  # the copy an attacker kept
    response = client.get("/messages")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_password_change_ends_open_sessions(runtime, accounts) -> None:
    client = _app(runtime).test_client()
    login_as(client, runtime, "operator")
    assert client.get("/messages").status_code == 200
    with session_scope(runtime.engine) as session:
        users.set_password(session, "operator", "a brand new password")
    assert client.get("/messages").status_code == 302


def test_cookie_flags_and_lifetime_come_from_the_settings(home, accounts) -> None:
    env = {
        "ACORN_CONSOLE__SESSION_COOKIE_SECURE": "true",
        "ACORN_CONSOLE__SESSION_COOKIE_SAMESITE": "Strict",
        "ACORN_CONSOLE__SESSION_LIFETIME_MINUTES": "30",
    }
    settings = load_settings(home / "config.yaml", env=env)
    runtime = Runtime.open(home / "config.yaml", settings=settings)
    try:
        app = create_app(runtime, {"TESTING": True, "SECRET_KEY": "k"})
        assert app.config["SESSION_COOKIE_SECURE"] is True
        response = _login(app.test_client(), "operator", PASSWORD)
        cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("acorn_session="))
        assert "Secure" in cookie and "SameSite=Strict" in cookie
        with session_scope(runtime.engine) as session:
            row = session.exec(select(ConsoleSession)).one()
            assert row.expires_at - row.created_at == timedelta(minutes=30)
    finally:
        runtime.close()


def test_a_password_typed_as_user_name_is_never_logged_stored_or_shown(runtime, accounts, caplog) -> None:
    client = _app(runtime).test_client()
    with caplog.at_level(logging.DEBUG):
        assert _login(client, LEAKED, PASSWORD).status_code == 401
    assert LEAKED not in caplog.text
    with session_scope(runtime.engine) as session:
        rows = session.exec(select(AuditEntry)).all()
        assert rows and all(LEAKED not in f"{r.actor} {r.target_id} {r.reason} {r.detail}" for r in rows)
    login_as(client, runtime, "viewer")
    assert LEAKED not in client.get("/audit").get_data(as_text=True)
    with session_scope(runtime.engine) as session:
        token = users.issue_token(session, "viewer")
    api = client.get("/api/audit", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200 and LEAKED not in api.get_data(as_text=True)
    assert "(unknown user)" in api.get_data(as_text=True)
