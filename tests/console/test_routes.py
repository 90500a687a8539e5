"""Every route, every role: who may see what, who may change what, and that GET changes nothing."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func
from sqlmodel import select

from gateway.store import session_scope
from gateway.store.models import AuditEntry, Message
from tests.console.conftest import ROLES, csrf_token, login_as

# Every GET page and API read, with {placeholders} filled from the ``seeded`` fixture.
PAGES = [
    "/",
    "/messages",
    "/messages?state=failed&partner=amazon-us&direction=in&type=850&since=2020-01-01&until=2099-12-31",
    "/messages?q={po_number}",
    "/messages/{po_message}",
    "/messages/{failed_message}",
    "/messages/{po_message}/raw",
    "/po/{po_number}",
    "/po?po={po_number}",
    "/po",
    "/po?partner=amazon-us&po=4T",
    "/documents/{document}",
    "/discrepancies",
    "/discrepancies?status=open",
    "/invoices",
    "/inventory-feeds",
    "/inventory-feeds?status=blocked",
    "/partners",
    "/partners/amazon-us",
    "/audit",
    "/bulk-replay",
    "/bulk-replay?partner=amazon-us",
    "/messages/export.csv?state=failed",
    "/claims",
    "/claims?status=new",
    "/business",
    "/business/messages.svg",
    "/business/returns.csv",
    "/messages?format=csv",
    "/discrepancies?format=csv",
]
API = [
    "/metrics",
    "/api/messages",
    "/api/messages?q={po_number}",
    "/api/messages/{po_message}",
    "/api/messages/{po_message}/raw",
    "/api/purchase-orders/{po_number}",
    "/api/documents/{document}",
    "/api/discrepancies",
    "/api/invoices",
    "/api/partners",
    "/api/audit",
    "/api/dashboard",
    "/api/openapi.json",
    "/api/openapi.yaml",
    "/api/payments",
    "/api/claims",
    "/api/reminders",
]
# Every state-changing route (POST) and the role it needs.
POSTS = [
    ("/messages/{failed_message}/replay", "operator"),
    ("/messages/{po_message}/resend", "operator"),
    ("/discrepancies/1/acknowledge", "operator"),
    ("/discrepancies/1/resolve", "operator"),
    ("/discrepancies/1/dispute", "operator"),
    ("/invoices/{invoice}/approve", "operator"),
    ("/invoices/{invoice}/send", "operator"),
    ("/po/{po_number}/acknowledgement/approve", "operator"),
    ("/po/{po_number}/acknowledgement/cancel", "operator"),
    ("/inventory-feeds/1/approve", "operator"),
    ("/inventory-feeds/1/cancel", "operator"),
    ("/bulk-replay", "operator"),
    ("/messages/{failed_message}/correct", "operator"),
    ("/messages/{failed_message}/reassign", "operator"),
    ("/messages/{failed_message}/settle", "operator"),
    ("/messages/{failed_message}/suspect", "operator"),
]
API_POSTS = [
    "/api/messages/{failed_message}/replay",
    "/api/messages/{po_message}/resend",
    "/api/replay",
    "/api/bulk-replay",
    "/api/messages/{failed_message}/correct",
    "/api/messages/{failed_message}/reassign",
    "/api/messages/{failed_message}/resolve",
    "/api/messages/{failed_message}/ignore",
    "/api/messages/{failed_message}/suspect",
]
# The users page: admins only, reads included.
ADMIN_PAGES = ["/users"]
ADMIN_POSTS = [
    "/users",
    "/users/viewer/role",
    "/users/viewer/disable",
    "/users/viewer/password",
    "/users/viewer/token",
    "/users/viewer/token/revoke",
]
PUBLIC = ["/login", "/healthz", "/static/console.css"]
COVERED_ELSEWHERE = {
    "/logout",
    "/jobs/<job_id>",
    "/api/jobs/<job_id>",
    "/as2",
    # one claim's pages and moves: tests/settlement/console/test_console.py
    "/claims/<int:claim_id>",
    "/claims/<int:claim_id>/status",
    "/claims/<int:claim_id>/attach",
    "/claims/<int:claim_id>/pack.zip",
    "/api/claims/<int:claim_id>",
    "/api/claims/<int:claim_id>/status",
    "/api/claims/<int:claim_id>/pack",
    # a ship notice's carton labels: tests/console/test_carton_labels.py
    "/ship-notices/<int:record_id>/labels.pdf",
}  # test_auth, test_replay, below


def fill(path: str, seeded) -> str:
    return path.format(**seeded)


def _rule_of(app: Flask, path: str, method: str = "GET") -> str:
    adapter = app.url_map.bind("localhost")
    endpoint, _ = adapter.match(path.split("?")[0], method=method)
    return next(r.rule for r in app.url_map.iter_rules() if r.endpoint == endpoint and method in r.methods)


def test_every_route_is_in_these_tables(app: Flask, seeded) -> None:
    listed = {_rule_of(app, fill(p, seeded)) for p in [*PAGES, *API, *PUBLIC]}
    listed |= {_rule_of(app, fill(p, seeded), "POST") for p, _ in POSTS}
    listed |= {_rule_of(app, fill(p, seeded), "POST") for p in API_POSTS}
    listed |= {_rule_of(app, "/login", "POST")}
    listed |= {_rule_of(app, p) for p in ADMIN_PAGES} | {_rule_of(app, p, "POST") for p in ADMIN_POSTS}
    routes = {r.rule for r in app.url_map.iter_rules()}
    assert routes - listed - COVERED_ELSEWHERE == set()


@pytest.mark.parametrize("role", ROLES)
def test_every_page_and_read_answers_for_every_role(client, runtime, seeded, role: str) -> None:
    login_as(client, runtime, role)
    for path in [*PAGES, *API]:
        response = client.get(fill(path, seeded), follow_redirects=True)
        assert response.status_code == 200, (
            path,
            response.status_code,
            response.get_data(as_text=True)[:300],
        )


def test_anonymous_sees_only_login_and_healthz(client, seeded) -> None:
    for path in PAGES:
        response = client.get(fill(path, seeded))
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login"), path
    for path in API:
        response = client.get(fill(path, seeded))
        assert response.status_code == 401, path
        assert response.get_json()["error"]
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").status_code in (200, 503)  # public either way; content tested elsewhere


def test_anonymous_posts_change_nothing(client, runtime, seeded) -> None:
    before = _snapshot(runtime)
    for path, _role in POSTS:
        response = client.post(fill(path, seeded), data={"reason": "x", "note": "x", "partner": "amazon-us"})
        assert response.status_code in (302, 400), path  # to the login page, or refused by CSRF first
    for path in API_POSTS:
        response = client.post(fill(path, seeded), json={"reason": "x", "ids": [1]})
        assert response.status_code == 401, path
    assert _snapshot(runtime) == before


def _snapshot(runtime) -> tuple:
    with session_scope(runtime.engine) as session:
        states = tuple(session.exec(select(Message.id, Message.state).order_by(Message.id)).all())
        audits = session.exec(select(func.count()).select_from(AuditEntry)).one()
    return states, audits


def test_viewer_cannot_replay_or_change_anything(client, runtime, seeded) -> None:
    login_as(client, runtime, "viewer")
    token = csrf_token(client)
    before = _snapshot(runtime)
    for path, role in POSTS:
        assert role == "operator"
        response = client.post(
            fill(path, seeded),
            data={"csrf_token": token, "reason": "try", "note": "try", "partner": "amazon-us"},
        )
        assert response.status_code == 403, path
        assert "operator role" in response.get_data(as_text=True)
    assert _snapshot(runtime) == before


def test_gets_change_nothing(client, runtime, seeded) -> None:
    login_as(client, runtime, "admin")
    before = _snapshot(runtime)
    for path in [*PAGES, *API]:
        client.get(fill(path, seeded))
    assert _snapshot(runtime) == before


def test_unknown_things_are_404_pages(client, runtime, seeded) -> None:
    login_as(client, runtime, "viewer")
    for path in ("/messages/999999", "/documents/999999", "/partners/nobody", "/po/NOPE-123", "/jobs/nope"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Traceback" not in response.get_data(as_text=True)
    assert client.get("/api/messages/999999").status_code == 404
    assert client.get("/messages?state=bogus").status_code == 400
    assert client.get("/messages?since=yesterday").status_code == 400
    assert client.get("/api/messages?limit=100000").status_code == 400


def test_security_headers(client, runtime, seeded) -> None:
    login_as(client, runtime, "viewer")
    response = client.get(f"/messages/{seeded['po_message']}")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    raw = client.get(f"/messages/{seeded['po_message']}/raw")
    assert raw.mimetype == "application/octet-stream"
    assert raw.headers["Content-Disposition"].startswith("attachment")


def test_the_as2_endpoint_is_public_and_needs_no_csrf_token_but_an_as2_message(client) -> None:
    """Partners POST AS2 without a login or a form token; what is not AS2 is refused, not redirected."""
    response = client.post("/as2", data=b"hello", headers={"Content-Type": "text/plain"})
    assert response.status_code == 400
    assert b"not an AS2 message" in response.data


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_only_admins_see_or_change_users(client, runtime, seeded, role: str) -> None:
    login_as(client, runtime, role)
    token = csrf_token(client)
    before = _snapshot(runtime)
    for path in ADMIN_PAGES:
        assert client.get(path).status_code == 403, path
    for path in ADMIN_POSTS:
        data = {"csrf_token": token, "username": "x", "role": "admin", "password": "long enough pw"}
        response = client.post(path, data=data)
        assert response.status_code == 403, path
        assert "admin role" in response.get_data(as_text=True)
    assert _snapshot(runtime) == before
    login_as(client, runtime, "admin")
    assert client.get("/users").status_code == 200
