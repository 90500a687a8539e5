"""Fix a mapping, replay: one message from its page, a partner's failed messages in bulk, and by API."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta

from sqlmodel import select

from gateway.console import users
from gateway.console.jobs import JobTable
from gateway.service import pipeline
from gateway.store import session_scope
from gateway.store.models import AuditEntry, Message, ReplayJob, utcnow
from tests.console.conftest import break_mapping, csrf_token, fix_mapping, login_as, post_form, sample


def _state(runtime, message_id: int) -> str:
    with session_scope(runtime.engine) as session:
        return session.get(Message, message_id).state


def _failing_po(runtime, name: str = "po.edi", data: bytes | None = None) -> int:
    receipt = pipeline.ingest(runtime, data or sample("x12_4010_850_new_po.edi"), name, mailbox="local")
    assert receipt.state == "failed"
    return receipt.message_id


def test_operator_replays_a_message_after_the_mapping_is_fixed(client, runtime, accounts) -> None:
    original = break_mapping(runtime)
    message_id = _failing_po(runtime)
    login_as(client, runtime, "operator")
    page = client.get(f"/messages/{message_id}").get_data(as_text=True)
    assert "MAPPING_MISFIT" in page and "is not a date in the form YYMMDD" in page
    assert '<li id="seg-4" class="failing">' in page

    fix_mapping(runtime, original)
    response = post_form(
        client,
        f"/messages/{message_id}/replay",
        {"reason": "850 date format fixed"},
        f"/messages/{message_id}",
    )
    assert response.status_code == 302
    assert _state(runtime, message_id) == "done"
    page = client.get(f"/messages/{message_id}").get_data(as_text=True)
    assert "replay done, now done" in page
    assert "purchase_order 4TQ8ZK2M" in page
    with session_scope(runtime.engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "replay")).one()
    assert (entry.actor, entry.target_id, entry.reason) == (
        "operator",
        str(message_id),
        "850 date format fixed",
    )


def test_replay_needs_a_reason(client, runtime, accounts) -> None:
    break_mapping(runtime)
    message_id = _failing_po(runtime)
    login_as(client, runtime, "operator")
    response = post_form(client, f"/messages/{message_id}/replay", {"reason": "  "})
    assert response.status_code == 400
    assert _state(runtime, message_id) == "failed"


def test_replay_while_still_broken_stays_failed_and_says_so(client, runtime, accounts) -> None:
    break_mapping(runtime)
    message_id = _failing_po(runtime)
    login_as(client, runtime, "admin")
    post_form(client, f"/messages/{message_id}/replay", {"reason": "try again"})
    page = client.get(f"/messages/{message_id}").get_data(as_text=True)
    assert "replay ended failed" in page
    assert _state(runtime, message_id) == "failed"


def _many_failing(runtime, count: int) -> list[int]:
    base = sample("x12_4010_850_new_po.edi").decode()
    ids = []
    for n in range(count):
        # distinct interchanges and POs, so none is a duplicate of another
        data = base.replace("000004101", f"{5000 + n:09d}").replace("4TQ8ZK2M", f"BULK{n:04d}")
        ids.append(_failing_po(runtime, f"bulk-{n}.edi", data.encode()))
    return ids


def test_bulk_replay_of_a_partner_with_progress(client, runtime, app, accounts) -> None:
    original = break_mapping(runtime)
    ids = _many_failing(runtime, 7)
    login_as(client, runtime, "operator")
    page = client.get("/bulk-replay?partner=amazon-us").get_data(as_text=True)
    assert "Failed messages of amazon-us" in page and "7" in page
    fix_mapping(runtime, original)
    app.extensions["acorn.jobs"].batch_size = 3
    response = post_form(
        client, "/bulk-replay", {"partner": "amazon-us", "reason": "date format fixed"}, "/bulk-replay"
    )
    assert response.status_code == 302
    job_path = response.headers["Location"]
    job = app.extensions["acorn.jobs"].get(job_path.rsplit("/", 1)[1])
    assert job.wait(120)
    page = client.get(job_path).get_data(as_text=True)
    assert "<b>finished</b>: 7 of 7 processed (100%) · 7 ok · 0 still failing" in page
    assert 'http-equiv="refresh"' not in page
    assert all(_state(runtime, i) == "done" for i in ids)
    with session_scope(runtime.engine) as session:
        actions = [a.action for a in session.exec(select(AuditEntry).order_by(AuditEntry.id))]
        start = session.exec(select(AuditEntry).where(AuditEntry.action == "bulk_replay.start")).one()
    assert actions.count("replay") == 7
    assert actions[-1] == "bulk_replay.end"
    assert start.detail["total"] == 7 and start.detail["succeeded"] == 7 and start.actor == "operator"


def _job_row(runtime, job_id: str, owner: str, *, heartbeat_age: timedelta = timedelta(0), **values) -> None:
    now = utcnow()
    with session_scope(runtime.engine) as session:
        session.add(
            ReplayJob(
                id=job_id, partner="amazon-us", actor="operator", reason="why", owner=owner,
                started_at=now, heartbeat_at=now - heartbeat_age, **values,
            )
        )  # fmt: skip


def test_a_running_job_page_refreshes_itself(client, runtime, app, accounts) -> None:
    _job_row(runtime, "abc123", "another-host:4242", total=10, processed=4)  # alive: a fresh heartbeat
    login_as(client, runtime, "viewer")
    page = client.get("/jobs/abc123").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="2">' in page
    assert "4 of 10 processed (40%)" in page
    assert client.get("/api/jobs/abc123").get_json()["percent"] == 40
    assert client.get("/api/jobs/nope").status_code == 404


def test_a_job_whose_process_is_gone_reads_as_interrupted_and_blocks_nothing(
    client, runtime, app, accounts
) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    _job_row(runtime, "deadpid", f"{socket.gethostname()}:{gone.stdout.strip()}", total=10, processed=3)
    _job_row(runtime, "silent", "another-host:1", heartbeat_age=timedelta(hours=1), total=5, processed=1)
    login_as(client, runtime, "operator")
    page = client.get("/jobs/deadpid").get_data(as_text=True)
    assert "http-equiv" not in page and "<b>interrupted</b>: 3 of 10 processed" in page
    assert client.get("/api/jobs/silent").get_json()["state"] == "interrupted"
    # a new bulk replay of the same partner is not refused because of them
    response = post_form(client, "/bulk-replay", {"partner": "amazon-us", "reason": "again"}, "/bulk-replay")
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    app.extensions["acorn.jobs"].get(response.headers["Location"].rsplit("/", 1)[1]).wait(60)


def test_a_live_job_blocks_a_second_one_for_the_same_partner(client, runtime, app, accounts) -> None:
    _job_row(runtime, "live", "another-host:7", total=10, processed=1)
    login_as(client, runtime, "operator")
    response = post_form(client, "/bulk-replay", {"partner": "amazon-us", "reason": "again"}, "/bulk-replay")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/bulk-replay?partner=amazon-us"
    )
    assert "already running" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_progress_outlives_the_console_process(client, runtime, app, accounts) -> None:
    original = break_mapping(runtime)
    _many_failing(runtime, 4)
    fix_mapping(runtime, original)
    login_as(client, runtime, "operator")
    app.extensions["acorn.jobs"].batch_size = 3
    response = post_form(client, "/bulk-replay", {"partner": "amazon-us", "reason": "fixed"}, "/bulk-replay")
    job_id = response.headers["Location"].rsplit("/", 1)[1]
    assert app.extensions["acorn.jobs"].get(job_id).wait(120)
    fresh = JobTable(runtime)  # what a restarted console process sees
    job = fresh.get(job_id)
    assert (job.state, job.total, job.processed, job.succeeded, job.failed) == ("finished", 4, 4, 4, 0)
    assert job.finished_at is not None and fresh.all()[0].id == job_id


def test_replay_and_bulk_replay_through_the_api(client, runtime, app, accounts) -> None:
    original = break_mapping(runtime)
    ids = _many_failing(runtime, 3)
    with session_scope(runtime.engine) as session:
        token = users.issue_token(session, "operator")
        viewer_token = users.issue_token(session, "viewer")
    fix_mapping(runtime, original)
    auth = {"Authorization": f"Bearer {token}"}

    refused = client.post(
        f"/api/messages/{ids[0]}/replay",
        json={"reason": "x"},
        headers={"Authorization": f"Bearer {viewer_token}"},
    )
    assert refused.status_code == 403
    assert client.post(f"/api/messages/{ids[0]}/replay", json={}, headers=auth).status_code == 400

    one = client.post(f"/api/messages/{ids[0]}/replay", json={"reason": "fixed"}, headers=auth)
    assert one.get_json() == {
        "outcomes": [{"message_id": ids[0], "state": "done", "error": None, "ok": True}]
    }

    started = client.post("/api/bulk-replay", json={"partner": "amazon-us", "reason": "fixed"}, headers=auth)
    assert started.status_code == 202
    job = app.extensions["acorn.jobs"].get(started.get_json()["id"])
    assert job.wait(120)
    status = client.get(started.headers["Location"], headers=auth).get_json()
    assert (status["state"], status["total"], status["succeeded"]) == ("finished", 2, 2)
    assert all(_state(runtime, i) == "done" for i in ids)


def test_api_replay_of_many_ids(client, runtime, accounts) -> None:
    original = break_mapping(runtime)
    ids = _many_failing(runtime, 2)
    fix_mapping(runtime, original)
    with session_scope(runtime.engine) as session:
        token = users.issue_token(session, "admin")
    auth = {"Authorization": f"Bearer {token}"}
    for bad in ({"reason": "x"}, {"reason": "x", "ids": []}, {"reason": "x", "ids": ["1"]}, {"ids": ids}):
        assert client.post("/api/replay", json=bad, headers=auth).status_code == 400, bad
    response = client.post("/api/replay", json={"reason": "fixed", "ids": [*ids, 999999]}, headers=auth)
    outcomes = response.get_json()["outcomes"]
    assert [o["ok"] for o in outcomes] == [True, True, False]
    assert outcomes[2]["state"] == "missing"


def test_a_session_cookie_alone_cannot_replay_through_the_api(client, runtime, accounts) -> None:
    break_mapping(runtime)
    message_id = _failing_po(runtime)
    login_as(client, runtime, "admin")
    csrf_token(client)
    response = client.post(f"/api/messages/{message_id}/replay", json={"reason": "x"})
    assert response.status_code == 403
    assert "API token" in response.get_json()["error"]
    assert _state(runtime, message_id) == "failed"
