"""A lease lives as long as the work: renewed while its holder runs, taken over once it stops.

Issue 15: a 5-minute lease that was never renewed let a second worker's recovery take a message
the first was still storing. Here the lease is a fraction of a second and the work takes several
leases' worth: nobody may take it while the owner lives; once the owner is killed (a separate
process, so nothing of it renews any more), the lease expires and another holder takes it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from gateway.service import pipeline
from gateway.service.hooks import STORED_HOOKS, Hook
from gateway.service.pipeline import run
from gateway.service.runtime import Runtime
from gateway.store import leases, session_scope
from gateway.store.messages import UNFINISHED
from gateway.store.models import Document, Message
from tests.conftest import BACKENDS, PROJECT_ROOT, pg_schema
from tests.pipeline.conftest import make_home, numbered_po

SHORT = timedelta(milliseconds=400)


@pytest.fixture(params=BACKENDS)
def any_runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    """A runtime on a SQLite file or a fresh PostgreSQL schema; its config file is ``rt.config_file``."""
    if request.param == "sqlite":
        config = make_home(tmp_path / "gw")
        rt = Runtime.open(config)
        rt.config_file = config  # type: ignore[attr-defined]
        yield rt
        rt.close()
        return
    with pg_schema("beat") as url:
        config = make_home(tmp_path / "gw", url)
        rt = Runtime.open(config)
        rt.config_file = config  # type: ignore[attr-defined]
        yield rt
        rt.close()


def _received(runtime: Runtime, n: int) -> int:
    receipt = pipeline.receive(runtime, numbered_po(n), filename=f"po_{n}.edi", partner="amazon-us")
    return receipt.message_id


def _try_claim(runtime: Runtime, message_id: int, owner: str) -> bool:
    """What recovery does: take the lease of an unfinished message unless someone holds it."""
    unfinished = [col(Message.id) == message_id, col(Message.state).in_(list(UNFINISHED))]
    with session_scope(runtime.engine) as session:
        return leases.claim(session, Message, unfinished, owner, SHORT)


def _holder(runtime: Runtime, message_id: int) -> str | None:
    with session_scope(runtime.engine) as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message.lease_owner


def test_no_takeover_while_the_owner_is_still_working(
    any_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The work lasts about eight leases; every attempt by another holder meanwhile is refused,
    and the message ends done once, its PO stored once."""
    monkeypatch.setattr(run, "LEASE", SHORT)
    message_id = _received(any_runtime, 7101)

    def slow(session: Session, runtime: Runtime, rows: Sequence[Document]) -> list[str]:
        time.sleep(SHORT.total_seconds() * 8)
        return []

    hooks = (Hook("slow", slow), *STORED_HOOKS)
    outcome: list[str] = []
    worker = threading.Thread(
        target=lambda: outcome.append(run.process(any_runtime, message_id, hooks=hooks).state)
    )
    worker.start()
    while _holder(any_runtime, message_id) is None and worker.is_alive():
        time.sleep(0.01)  # the worker has claimed it
    attempts = taken = 0
    while worker.is_alive():
        attempts += 1
        taken += _try_claim(any_runtime, message_id, "elsewhere:1:recovery")
        time.sleep(0.05)
    worker.join()
    assert attempts > 20 and taken == 0
    assert outcome == ["done"]
    with session_scope(any_runtime.engine) as session:
        pos = session.exec(select(Document).where(Document.type == "purchase_order")).all()
        assert [d.business_key for d in pos] == ["P0007101"]


_OWNER = """
import sys, time
from datetime import timedelta
from sqlmodel import col
from gateway.service.runtime import Runtime
from gateway.store import leases, session_scope
from gateway.store.models import Message
from pathlib import Path
rt = Runtime.open(Path(sys.argv[1]))
mine = [col(Message.id) == int(sys.argv[2])]
lease = timedelta(milliseconds=400)
with session_scope(rt.engine) as session:
    assert leases.claim(session, Message, mine, "otherhost:1:t1", lease)
with leases.Heartbeat(rt.engine, Message, mine, "otherhost:1:t1", lease):
    print("holding", flush=True)
    time.sleep(600)
"""


def test_takeover_once_the_owner_has_died(any_runtime: Runtime, tmp_path: Path) -> None:
    """The owner is another process (of another host, so nobody can ask whether it lives): while
    it renews, its lease holds; after SIGKILL, it lapses within about one lease and is taken."""
    message_id = _received(any_runtime, 7102)
    config = str(any_runtime.config_file)  # type: ignore[attr-defined]
    owner = subprocess.Popen(
        [sys.executable, "-c", _OWNER, config, str(message_id)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    try:
        assert owner.stdout is not None and owner.stdout.readline().strip() == "holding"
        deadline = time.monotonic() + SHORT.total_seconds() * 6
        while time.monotonic() < deadline:
            assert not _try_claim(any_runtime, message_id, "here:2:recovery")
            time.sleep(0.05)
    finally:
        owner.send_signal(signal.SIGKILL)
        owner.wait()
        if owner.stdout is not None:
            owner.stdout.close()
    started = time.monotonic()
    while not _try_claim(any_runtime, message_id, "here:2:recovery"):
        assert time.monotonic() - started < SHORT.total_seconds() * 10, "the dead owner's lease never lapsed"
        time.sleep(0.05)
    with session_scope(any_runtime.engine) as session:
        assert session.get(Message, message_id).lease_owner == "here:2:recovery"
