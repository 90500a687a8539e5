"""The JSON API: token auth, reads, cursors, and the OpenAPI document in step with the routes."""

from __future__ import annotations

import re

import yaml
from flask import Flask
from openapi_spec_validator import validate

from gateway import __version__
from gateway.console import users
from gateway.console.openapi import openapi_document
from gateway.store import session_scope


def _token(runtime, name: str) -> dict[str, str]:
    with session_scope(runtime.engine) as session:
        return {"Authorization": f"Bearer {users.issue_token(session, name)}"}


def test_tokens_authenticate_and_bad_ones_do_not(client, runtime, seeded) -> None:
    auth = _token(runtime, "viewer")
    assert client.get("/api/messages", headers=auth).status_code == 200
    for header in ("Bearer acorn_wrong", "Bearer nonsense", "Basic dmlld2VyOng="):
        assert client.get("/api/messages", headers={"Authorization": header}).status_code in (401,), header
    assert client.get("/api/messages").status_code == 401
    with session_scope(runtime.engine) as session:
        users.revoke_token(session, "viewer")
    assert client.get("/api/messages", headers=auth).status_code == 401


def test_a_disabled_users_token_stops_working(client, runtime, seeded) -> None:
    auth = _token(runtime, "operator")
    with session_scope(runtime.engine) as session:
        users.set_disabled(session, "operator", True)
    assert client.get("/api/messages", headers=auth).status_code == 401


def test_a_token_does_not_open_the_pages(client, runtime, seeded) -> None:
    auth = _token(runtime, "admin")
    assert client.get("/messages", headers=auth).status_code == 302


def test_message_list_pages_with_cursors(client, runtime, seeded) -> None:
    auth = _token(runtime, "viewer")
    everything = [m["id"] for m in client.get("/api/messages?limit=200", headers=auth).get_json()["items"]]
    assert everything == sorted(everything, reverse=True) and len(everything) >= 4
    seen, url = [], "/api/messages?limit=2"
    while url:
        page = client.get(url, headers=auth).get_json()
        seen += [m["id"] for m in page["items"]]
        url = f"/api/messages?limit=2&before={page['older']}" if page["older"] else None
    assert seen == everything
    back = client.get(f"/api/messages?limit=2&after={everything[-1]}", headers=auth).get_json()
    assert [m["id"] for m in back["items"]] == everything[-3:-1]


def test_message_detail_has_events_documents_and_error(client, runtime, seeded) -> None:
    auth = _token(runtime, "viewer")
    detail = client.get(f"/api/messages/{seeded['po_message']}", headers=auth).get_json()
    assert detail["state"] == "done"
    assert [e["state"] for e in detail["events"]][-1] == "done"
    assert detail["documents"][0]["po_number"] == "4TQ8ZK2M"
    failed = client.get(f"/api/messages/{seeded['failed_message']}", headers=auth).get_json()
    assert failed["error"]["position"]["segment"] == 12
    raw = client.get(f"/api/messages/{seeded['po_message']}/raw", headers=auth)
    assert raw.data.startswith(b"ISA*00*")


def test_no_secret_or_internal_field_is_served(client, runtime, seeded) -> None:
    auth = _token(runtime, "admin")
    text = client.get("/api/messages?limit=200", headers=auth).get_data(as_text=True)
    for field in ("lease_owner", "receipt_key", "password", "api_token_hash"):
        assert field not in text


def _flask_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", r"{\1}", rule)


def test_openapi_describes_every_api_route(app: Flask, client, runtime, accounts) -> None:
    auth = _token(runtime, "viewer")
    doc = client.get("/api/openapi.json", headers=auth).get_json()
    assert doc["openapi"].startswith("3.")
    described = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = _flask_path(rule.rule).replace("{message_id}", "{id}").replace("{document_id}", "{id}")
            path = path.replace("{job_id}", "{id}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                if "{verb}" in path:
                    verbs = rule._converters["verb"].items  # <any(replay, resend):verb>
                    routed |= {(path.replace("{verb}", v), method) for v in verbs}
                else:
                    routed.add((path, method))
    assert described == routed
    for ops in doc["paths"].values():
        for op in ops.values():
            for response in op["responses"].values():
                ref = response.get("$ref", "")
                assert not ref or ref.split("/")[-1] in doc["components"]["responses"]
    as_yaml = yaml.safe_load(client.get("/api/openapi.yaml", headers=auth).data)
    assert as_yaml == doc


def test_openapi_file_is_a_valid_openapi_document() -> None:
    doc = openapi_document()
    validate(doc)  # raises on a document that breaks the OpenAPI 3.1 schema
    assert doc["info"]["version"] == __version__


def test_numbers_out_of_range_or_not_ascii_are_refused_not_a_server_error(client, runtime, seeded) -> None:
    """A cursor past the database's 64-bit integer once raised ``OverflowError`` in the driver (a
    500, found by schemathesis on ``/api/invoices?before=9223372036854775808``); ``²`` passes
    ``str.isdigit`` and fails ``int``."""
    auth = _token(runtime, "viewer")
    for path in ("/api/messages", "/api/invoices", "/api/discrepancies", "/api/audit"):
        for query in (
            "before=9223372036854775808",
            "before=%C2%B2",
            "limit=%C2%B2",
            "after=99999999999999999999",
        ):
            response = client.get(f"{path}?{query}", headers=auth)
            assert response.status_code in (200, 400), (path, query, response.status_code)
        assert client.get(f"{path}?before=9223372036854775807", headers=auth).status_code == 200
    assert client.get("/api/invoices?before=9223372036854775808", headers=auth).status_code == 400
    assert client.get("/api/messages?limit=%C2%B2", headers=auth).status_code == 400
    page = client.get("/messages?before=9223372036854775808", headers=auth)
    assert page.status_code < 500
