"""``/healthz`` (database and scheduler heartbeat) and ``/metrics`` (Prometheus text format)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import create_engine

from gateway.console import create_app, users
from gateway.console.metrics import add, family, make_registry, render
from gateway.service.runtime import Runtime
from gateway.store import Archive, session_scope
from gateway.store.models import Worker, utcnow

SAMPLE = re.compile(r'^[a-z_:][a-z0-9_:]*(\{([a-z_]+="([^"\\]|\\.)*",?)*\})? -?[0-9.e+Inf]+$|^[a-z_]+ NaN$')


def _beat(runtime, age_seconds: float, stopped: bool = False, worker: str = "host:1") -> None:
    with session_scope(runtime.engine) as session:
        row = session.get(Worker, worker) or Worker(id=worker)
        row.heartbeat_at = utcnow() - timedelta(seconds=age_seconds)
        row.stopped_at = utcnow() if stopped else None
        session.add(row)


def test_healthz_is_public_and_follows_the_scheduler_heartbeat(client, runtime) -> None:
    down = client.get("/healthz")
    assert down.status_code == 503
    assert down.get_json()["scheduler"]["status"] == "down"
    assert down.get_json()["database"]["status"] == "ok"
    _beat(runtime, 3)
    up = client.get("/healthz")
    assert up.status_code == 200
    assert up.get_json()["status"] == "ok" and up.get_json()["scheduler"]["workers"] == 1
    _beat(runtime, 600)
    stale = client.get("/healthz")
    assert stale.status_code == 503 and stale.get_json()["scheduler"]["status"] == "stale"
    _beat(runtime, 1, stopped=True)
    assert client.get("/healthz").status_code == 503


def test_healthz_reports_a_database_that_does_not_answer(runtime) -> None:
    broken = Runtime(
        settings=runtime.settings,
        engine=create_engine("sqlite:////proc/no-such-folder/acorn.sqlite3"),
        archive=Archive(runtime.settings.archive_dir),
    )
    app = create_app(broken, {"TESTING": True, "SECRET_KEY": "x"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["database"] == {"status": "error", "error": "OperationalError"}
    assert "proc" not in response.get_data(as_text=True)  # no paths or URLs leak


def test_metrics_need_a_user_and_speak_prometheus(client, runtime, seeded) -> None:
    assert client.get("/metrics").status_code == 401
    _beat(runtime, 2)
    with session_scope(runtime.engine) as session:
        token = users.issue_token(session, "viewer")
    response = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = response.get_data(as_text=True)
    for line in text.splitlines():
        assert line.startswith("# HELP ") or line.startswith("# TYPE ") or SAMPLE.match(line), line
    assert "acorn_up 1" in text
    assert 'acorn_messages{partner="amazon-us",state="failed"} 1' in text
    assert 'acorn_mailbox_poll_duration_seconds{mailbox="local",partner="amazon-us"} 0.042' in text
    assert 'acorn_mailbox_errors_total{mailbox="local",partner="amazon-us"} 1' in text
    assert re.search(r'acorn_scheduler_heartbeat_age_seconds\{worker="host:1"\} \d', text)
    assert "# TYPE acorn_mailbox_polls_total counter" in text
    assert "process_cpu_seconds_total" in text and "python_info{" in text


def test_metric_label_values_are_escaped() -> None:
    metric = family("acorn_x", "gauge", "x", ("partner",))
    add(metric, 1.5, partner='a"b\\c\nd')
    registry = make_registry(lambda: [metric])
    lines = render(registry).decode().splitlines()
    assert 'acorn_x{partner="a\\"b\\\\c\\nd"} 1.5' in lines


def test_each_app_has_its_own_registry(runtime, accounts) -> None:
    """Two apps in one process both serve /metrics (no duplicate-collector error)."""
    with session_scope(runtime.engine) as session:
        token = users.issue_token(session, "viewer")
    for _ in range(2):
        app = create_app(runtime, {"TESTING": True, "SECRET_KEY": "k"})
        response = app.test_client().get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200 and b"acorn_up" in response.data
