"""Crash safety: `acorn run` over a mailbox of many files, killed with SIGKILL at random moments and
restarted, several times. At the end every file was processed exactly once and none is lost."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlmodel import select

from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import Document, Message
from tests.conftest import PROJECT_ROOT
from tests.pipeline.conftest import numbered_po

FILES = 40
KILLS = 5


def test_random_sigkills_lose_nothing_and_process_nothing_twice(home: Path) -> None:
    inbox = home / "run" / "mailboxes" / "amazon-us" / "inbox"
    inbox.mkdir(parents=True)
    for n in range(7000, 7000 + FILES):
        (inbox / f"po_{n}.edi").write_bytes(numbered_po(n))
    Runtime.open(home / "config.yaml").close()  # migrate before the first kill can interrupt it
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "ACORN_CONFIG": str(home / "config.yaml")}
    rng = random.Random(20261123)
    for _ in range(KILLS):
        proc = subprocess.Popen(
            [sys.executable, "-m", "gateway", "run", "--no-console"], env=env, cwd=home,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(rng.uniform(0.8, 2.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    final = subprocess.run(
        [sys.executable, "-m", "gateway", "run", "--once"],
        env=env,
        cwd=home,
        capture_output=True,
        timeout=300,
    )
    assert final.returncode == 0, final.stderr.decode()[-2000:]
    assert list(inbox.iterdir()) == []
    processed = sorted(p.name for p in (home / "run" / "mailboxes" / "amazon-us" / "processed").iterdir())
    assert processed == sorted(f"po_{n}.edi" for n in range(7000, 7000 + FILES))
    runtime = Runtime.open(home / "config.yaml")
    try:
        with session_scope(runtime.engine) as session:
            inbound = session.exec(select(Message).where(Message.direction == "in")).all()
            assert sorted(m.filename for m in inbound) == processed  # one message per file
            assert {m.state for m in inbound} == {"done"}
            documents = session.exec(select(Document)).all()
            assert sorted(d.business_key for d in documents) == [
                f"P{n:07d}" for n in range(7000, 7000 + FILES)
            ]
            acks = session.exec(select(Message).where(Message.direction == "out")).all()
            assert len(acks) == FILES  # one 997 per file, never two
    finally:
        runtime.close()


def test_a_locked_database_leaves_the_message_to_be_retried_not_failed(runtime: Runtime, monkeypatch) -> None:
    """SQLite's "database is locked" (or PostgreSQL gone) mid-processing is nothing wrong with the
    message: it stays unfinished, and the next recovery processes it once, fully."""
    from sqlalchemy.exc import OperationalError

    from gateway.service import pipeline
    from gateway.service.pipeline import run
    from tests.pipeline.conftest import sample

    real = run.run_stages
    calls = []

    def locked_once(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("UPDATE documents ...", {}, Exception("database is locked"))
        return real(*args, **kwargs)

    monkeypatch.setattr(run, "run_stages", locked_once)
    receipt = pipeline.receive(
        runtime, sample("x12_4010_850_new_po.edi"), filename="po.edi", partner="amazon-us"
    )
    pipeline.release_receipt(runtime, receipt.message_id)
    first = pipeline.process(runtime, receipt.message_id)
    assert (first.state, first.error) == ("busy", "database is locked")
    with session_scope(runtime.engine) as session:
        message = session.get(Message, receipt.message_id)
        assert message is not None and message.state != "failed" and message.lease_owner is None
    assert pipeline.recover(runtime) == [receipt.message_id]
    with session_scope(runtime.engine) as session:
        assert session.get(Message, receipt.message_id).state == "done"  # type: ignore[union-attr]
        assert len(session.exec(select(Document)).all()) == 1


def test_the_periodic_retry_leaves_fresh_and_held_messages_alone(runtime: Runtime) -> None:
    """The scheduler's retry runs beside polls of the same worker: a message just received (or
    leased) is the poll's, and only one nobody holds for a while is taken up."""
    from datetime import timedelta

    from gateway.service import pipeline
    from tests.pipeline.conftest import sample

    receipt = pipeline.receive(
        runtime, sample("x12_4010_850_new_po.edi"), filename="po.edi", partner="amazon-us"
    )
    assert pipeline.recover(runtime, settled=timedelta(minutes=1)) == []  # just received: the poll's
    assert pipeline.claim(runtime, receipt.message_id)
    assert pipeline.recover(runtime, settled=timedelta(0)) == []  # leased: someone is on it
    with session_scope(runtime.engine) as session:
        message = session.get(Message, receipt.message_id)
        message.lease_owner = message.lease_until = None  # type: ignore[union-attr]
        session.add(message)
    assert pipeline.recover(runtime, settled=timedelta(0)) == [receipt.message_id]
