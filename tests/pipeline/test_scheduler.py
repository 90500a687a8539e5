"""The scheduled service: backoff arithmetic, and a real `acorn run` that polls, sends and stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlmodel import select

from gateway.runtime import Runtime
from gateway.scheduler import backoff_seconds
from gateway.store import session_scope
from gateway.store.models import Message, Worker
from tests.conftest import PROJECT_ROOT
from tests.pipeline.conftest import sample


def test_backoff_doubles_up_to_the_maximum() -> None:
    assert [backoff_seconds(n, 5, 60) for n in range(6)] == [0, 5, 10, 20, 40, 60]


def test_acorn_run_processes_the_inbox_sends_the_997_and_stops_on_sigterm(home: Path) -> None:
    inbox = home / "run" / "mailboxes" / "amazon-us" / "inbox"
    inbox.mkdir(parents=True)
    (inbox / "po.edi").write_bytes(sample("x12_4010_850_new_po.edi"))
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "ACORN_CONFIG": str(home / "config.yaml")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway", "run"], env=env, cwd=home, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    outbox = home / "run" / "mailboxes" / "amazon-us" / "outbox"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (outbox.is_dir() and any(outbox.iterdir())):
            time.sleep(0.2)
        assert outbox.is_dir() and len(list(outbox.iterdir())) == 1, "no 997 was sent"
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert "gateway stopped" in err.decode()
    runtime = Runtime.open(home / "config.yaml")
    try:
        with session_scope(runtime.engine) as session:
            states = sorted((m.direction, m.state) for m in session.exec(select(Message)).all())
            assert states == [("in", "done"), ("out", "sent")]
            (worker,) = session.exec(select(Worker)).all()
            assert worker.stopped_at is not None
    finally:
        runtime.close()
