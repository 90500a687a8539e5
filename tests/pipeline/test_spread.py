"""Work that spreads (issue 16 item 4): three real ``acorn run`` workers on PostgreSQL over one
mailbox of 300 small files. Receiving is the poller's claim (one mailbox, one holder at a time),
processing a claim per message: every worker processes some, each file exactly once (one
message, one document, one 997 delivered), and everything is done."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import Direction, Document, Message
from tests.conftest import NEEDS_PG, pg_schema
from tests.pipeline.conftest import make_home
from tests.pipeline.partner_side import Collector, po_file
from tests.pipeline.test_crash import Worker

FILES = range(5000, 5300)
WORKERS = 3
DEADLINE = 150.0
PROCESSED = re.compile(r"processed message (\d+): (\w+)")


@pytest.fixture
def pg_url() -> Iterator[str]:
    with pg_schema("spread") as url:
        yield url


def _all_done(runtime: Runtime, collector: Collector) -> bool:
    with session_scope(runtime.engine) as session:
        states = Counter(m.state for m in session.exec(select(Message)).all())
    done_in = states.get("done", 0) == len(FILES)
    return done_in and set(states) <= {"done", "sent"} and len(collector.deliveries) >= len(FILES)


@pytest.mark.slow
@NEEDS_PG
def test_three_workers_share_one_mailbox_and_process_each_file_once(tmp_path: Path, pg_url: str) -> None:
    root = tmp_path / "gw"
    config = make_home(root, pg_url)
    configs = [config]
    for n in range(2, WORKERS + 1):  # the same settings under another name: its own run lock
        configs.append(root / f"config-{n}.yaml")
        configs[-1].write_text(config.read_text())
    runtime = Runtime.open(config)  # migrated before the workers start
    inbox = root / "run" / "mailboxes" / "amazon-us" / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    for n in FILES:
        (inbox / f"po_{n}.edi").write_bytes(po_file(n))
    (root / "logs").mkdir()
    collector = Collector(root / "run" / "mailboxes" / "amazon-us" / "outbox")
    workers = [Worker(root, c, root / "logs") for c in configs]
    collector.start()
    try:
        for worker in workers:
            worker.start()
        until = time.monotonic() + DEADLINE
        while not _all_done(runtime, collector):
            assert time.monotonic() < until, "not drained in time"
            time.sleep(0.5)
    finally:
        for worker in workers:
            worker.stop()
        collector.stop()
    try:
        per_worker = []
        for worker in workers:
            found = PROCESSED.findall(worker.log.read_text(errors="replace"))
            per_worker.append(Counter(message_id for message_id, _state in found))
        assert all(per_worker), f"a worker processed nothing: {[len(c) for c in per_worker]}"
        everyone = sum(per_worker, Counter())
        assert len(everyone) == len(FILES)
        assert {k: v for k, v in everyone.items() if v != 1} == {}, "a message processed twice"
        with session_scope(runtime.engine) as session:
            inbound = session.exec(select(Message).where(Message.direction == Direction.IN.value)).all()
            assert sorted(m.filename for m in inbound) == sorted(f"po_{n}.edi" for n in FILES)
            assert {m.state for m in inbound} == {"done"}
            outbound = session.exec(select(Message).where(Message.direction == Direction.OUT.value)).all()
            assert Counter(t for m in outbound for t in m.document_types or []) == {"997": len(FILES)}
            documents = session.exec(select(Document.type, Document.business_key)).all()
            assert Counter(t for t, _key in documents) == {"purchase_order": len(FILES)}
            assert len(set(documents)) == len(documents)
    finally:
        runtime.close()
    acks = collector.count("997")
    assert sorted(acks) == sorted(str(n) for n in FILES)
    assert {k: v for k, v in acks.items() if v != 1} == {}, "a 997 delivered twice"
    assert list(inbox.iterdir()) == []
