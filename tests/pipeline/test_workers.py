"""Several gateway workers on one PostgreSQL database: every file is taken and processed exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from gateway.service import pipeline
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import Document, Message
from tests.conftest import NEEDS_PG, PROJECT_ROOT, pg_schema
from tests.pipeline.conftest import make_home, numbered_po

needs_pg = NEEDS_PG


@pytest.fixture
def pg_home(tmp_path: Path) -> Iterator[Path]:
    with pg_schema("w") as url:
        yield make_home(tmp_path / "gw", url).parent


@needs_pg
def test_two_worker_processes_share_the_mailboxes_without_losing_or_doubling(pg_home: Path) -> None:
    Runtime.open(pg_home / "config.yaml").close()  # migrate once, before the workers race
    inbox = pg_home / "run" / "mailboxes" / "amazon-us" / "inbox"
    inbox.mkdir(parents=True)
    for n in range(5000, 5030):
        (inbox / f"po_{n}.edi").write_bytes(numbered_po(n))
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "ACORN_CONFIG": str(pg_home / "config.yaml")}
    command = [sys.executable, "-m", "gateway", "run", "--once"]
    workers = [subprocess.Popen(command, env=env, cwd=pg_home, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for _ in range(2)]  # fmt: skip
    for worker in workers:
        _out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err.decode()[-2000:]
    runtime = Runtime.open(pg_home / "config.yaml")
    try:
        with session_scope(runtime.engine) as session:
            inbound = session.exec(select(Message).where(Message.direction == "in")).all()
            assert len(inbound) == 30
            assert {m.state for m in inbound} == {"done"}
            assert len({m.filename for m in inbound}) == 30
            assert len(session.exec(select(Document)).all()) == 30
        assert list(inbox.iterdir()) == []
    finally:
        runtime.close()


@needs_pg
def test_racing_receipts_of_one_file_make_one_message(pg_home: Path) -> None:
    runtimes = [Runtime.open(pg_home / "config.yaml") for _ in range(4)]
    barrier = threading.Barrier(len(runtimes))
    receipts = []

    def take(rt: Runtime) -> None:
        barrier.wait()
        receipts.append(
            pipeline.receive(rt, numbered_po(7), filename="po.edi", partner="amazon-us", mailbox="local")
        )

    threads = [threading.Thread(target=take, args=(rt,)) for rt in runtimes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        assert len(receipts) == 4
        assert len({r.message_id for r in receipts}) == 1
        assert sorted(r.new for r in receipts) == [False, False, False, True]
    finally:
        for rt in runtimes:
            rt.close()
