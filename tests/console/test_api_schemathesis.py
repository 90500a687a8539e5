"""schemathesis against the live API: a real werkzeug server on loopback, a viewer's token, the
static OpenAPI document; a bounded number of generated requests per operation (GET only: the
POSTs change state and are covered by their own tests). Every answer must be a documented status
and never a server error."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from werkzeug.serving import make_server

from gateway.console import create_app, users
from gateway.console.openapi import openapi_document
from gateway.store import session_scope

pytestmark = pytest.mark.slow


@pytest.fixture
def live(runtime, accounts, seeded) -> Iterator[tuple[str, str]]:
    app = create_app(runtime, {"SECRET_KEY": "schemathesis-key"})
    with session_scope(runtime.engine) as session:
        token = users.issue_token(session, "viewer")
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}", token
    finally:
        httpd.shutdown()
        thread.join()
        httpd.server_close()


def test_api_answers_as_documented(live) -> None:
    base, token = live
    schema = schemathesis.openapi.from_dict(openapi_document())
    checked, statuses = [], set()
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() != "GET":
            continue

        @given(case=operation.as_strategy())
        @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def call(case) -> None:
            response = case.call(base_url=base, headers={"Authorization": f"Bearer {token}"})
            statuses.add(response.status_code)
            assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code}"

        call()
        checked.append(operation.path)
    assert "/api/messages" in checked
    assert 200 in statuses  # the token was accepted: the answers are real, not all 401
