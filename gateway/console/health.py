"""``/healthz`` (database and scheduler) and ``/metrics`` (Prometheus text format).

``/healthz`` is public and says only ``ok`` or what is wrong, never a secret: 200 when the
database answers and a scheduler's heartbeat is fresh (:data:`STALE_AFTER`), 503 otherwise.
``/metrics`` needs a user (session or ``Authorization: Bearer <token>``, which is how
Prometheus is configured to scrape it); it is written by ``prometheus_client`` from the app's
own registry (:mod:`gateway.console.metrics`), with the process and Python collectors; its
database totals are cached for :data:`METRICS_TTL` seconds so frequent scrapes stay cheap.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, jsonify
from prometheus_client import CollectorRegistry
from prometheus_client.core import Metric
from sqlalchemy import text
from sqlmodel import Session

from gateway.console import overview
from gateway.console.context import runtime
from gateway.console.metrics import CONTENT_TYPE, add, family, make_registry, render
from gateway.store.models import utcnow

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)

STALE_AFTER = timedelta(seconds=60)
METRICS_TTL = 10.0
_CACHE_KEY = "acorn.metrics_cache"
_REGISTRY_KEY = "acorn.metrics_registry"


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def check_health(session: Session, now: datetime | None = None) -> tuple[bool, dict[str, Any]]:
    """``(healthy, report)``: the database answers and a scheduler beat within :data:`STALE_AFTER`."""
    now = now or utcnow()
    report: dict[str, Any] = {}
    try:
        session.execute(text("SELECT 1"))
        report["database"] = {"status": "ok"}
    except Exception as exc:
        log.warning("healthz: database check failed: %s", type(exc).__name__)
        report["database"] = {"status": "error", "error": type(exc).__name__}
        report["scheduler"] = {"status": "unknown"}
        return False, report
    alive = [w for w in overview.workers(session) if w.stopped_at is None]
    if not alive:
        report["scheduler"] = {"status": "down", "error": "no scheduler has beaten its heart"}
        return False, report
    newest = max(_aware(w.heartbeat_at) for w in alive)
    age = (now - newest).total_seconds()
    fresh = [w for w in alive if now - _aware(w.heartbeat_at) <= STALE_AFTER]
    report["scheduler"] = {
        "status": "ok" if fresh else "stale",
        "workers": len(fresh),
        "last_heartbeat_seconds_ago": round(age, 1),
    }
    return bool(fresh), report


@bp.route("/healthz")
def healthz() -> Any:
    with Session(runtime().engine) as session:
        healthy, report = check_health(session)
    response = jsonify({"status": "ok" if healthy else "unhealthy", **report})
    response.status_code = 200 if healthy else 503
    return response


def _db_metrics(session: Session) -> list[Metric]:
    messages = family(
        "acorn_messages", "gauge", "Messages in the store by state and partner.", ("state", "partner")
    )
    for state, partner, count in overview.messages_by_state(session):
        add(messages, count, state=state, partner=partner)
    discrepancies = family(
        "acorn_discrepancies", "gauge", "Discrepancies by status and partner.", ("status", "partner")
    )
    for status, partner, count in overview.discrepancies_by_status(session):
        add(discrepancies, count, status=status, partner=partner)
    return [messages, discrepancies]


def _cached_db_metrics(session: Session) -> list[Metric]:
    cache = current_app.extensions.setdefault(_CACHE_KEY, {"lock": threading.Lock(), "at": 0.0, "value": []})
    with cache["lock"]:
        if time.monotonic() - cache["at"] > METRICS_TTL or not cache["value"]:
            cache["value"] = _db_metrics(session)
            cache["at"] = time.monotonic()
        return list(cache["value"])


_BOX = ("partner", "mailbox")


def _mailbox_metrics(session: Session, now: datetime) -> list[Metric]:
    duration = family(
        "acorn_mailbox_poll_duration_seconds", "gauge", "Duration of the last poll of a mailbox.", _BOX
    )
    polls = family("acorn_mailbox_polls_total", "counter", "Polls of a mailbox.", _BOX)
    errors = family("acorn_mailbox_errors_total", "counter", "Failed polls of a mailbox.", _BOX)
    failing = family("acorn_mailbox_consecutive_failures", "gauge", "Failed polls in a row.", _BOX)
    received = family("acorn_mailbox_received_total", "counter", "Files received from a mailbox.", _BOX)
    sent = family("acorn_mailbox_sent_total", "counter", "Files sent through a mailbox.", _BOX)
    success = family(
        "acorn_mailbox_last_success_timestamp_seconds", "gauge", "When a poll last succeeded.", _BOX
    )
    for box in overview.mailboxes(session):
        labels = {"partner": box.partner, "mailbox": box.mailbox}
        if box.last_duration_ms is not None:
            add(duration, box.last_duration_ms / 1000.0, **labels)
        add(polls, box.polls, **labels)
        add(errors, box.errors, **labels)
        add(failing, box.consecutive_failures, **labels)
        add(received, box.received, **labels)
        add(sent, box.sent, **labels)
        if box.last_success_at is not None:
            add(success, _aware(box.last_success_at).timestamp(), **labels)
    heartbeat = family(
        "acorn_scheduler_heartbeat_age_seconds", "gauge", "Seconds since a worker's heartbeat.", ("worker",)
    )
    for worker in overview.workers(session):
        if worker.stopped_at is None:
            add(heartbeat, (now - _aware(worker.heartbeat_at)).total_seconds(), worker=worker.id)
    return [duration, polls, errors, failing, received, sent, success, heartbeat]


def _store_families() -> list[Metric]:
    """What the store says at this scrape (called by the registry inside the request)."""
    now = utcnow()
    with Session(runtime().engine) as session:
        healthy, _ = check_health(session, now)
        up = family("acorn_up", "gauge", "1 when the database answers and a scheduler is alive.")
        up.add_metric([], 1 if healthy else 0)
        return [up, *_cached_db_metrics(session), *_mailbox_metrics(session, now)]


def _registry() -> CollectorRegistry:
    registry: CollectorRegistry | None = current_app.extensions.get(_REGISTRY_KEY)
    if registry is None:
        registry = current_app.extensions.setdefault(_REGISTRY_KEY, make_registry(_store_families))
    return registry


@bp.route("/metrics")
def metrics() -> Response:
    response = Response(render(_registry()))
    response.headers["Content-Type"] = CONTENT_TYPE
    return response
