"""The scheduled service: backoff arithmetic, and a real `acorn run` that polls, sends and stops on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from sqlmodel import select

from gateway.service.runtime import Runtime
from gateway.service.scheduler import backoff_seconds
from gateway.store import session_scope
from gateway.store.models import Message, Worker
from tests.conftest import PROJECT_ROOT
from tests.pipeline.conftest import sample


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_backoff_doubles_up_to_the_maximum() -> None:
    assert [backoff_seconds(n, 5, 60) for n in range(6)] == [0, 5, 10, 20, 40, 60]


def test_acorn_run_processes_the_inbox_sends_the_997_serves_the_console_and_stops_on_sigterm(
    home: Path,
) -> None:
    port = _free_port()
    with (home / "config.yaml").open("a", encoding="utf-8") as fh:
        fh.write(f"console:\n  host: 127.0.0.1\n  port: {port}\n")
    inbox = home / "run" / "mailboxes" / "amazon-us" / "inbox"
    inbox.mkdir(parents=True)
    (inbox / "po.edi").write_bytes(sample("x12_4010_850_new_po.edi"))
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "ACORN_CONFIG": str(home / "config.yaml")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway", "run"],
        env=env,
        cwd=home,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    outbox = home / "run" / "mailboxes" / "amazon-us" / "outbox"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (outbox.is_dir() and any(outbox.iterdir())):
            time.sleep(0.2)
        assert outbox.is_dir() and len(list(outbox.iterdir())) == 1, "no 997 was sent"
        health = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10).read())
        assert health["status"] == "ok", health
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
