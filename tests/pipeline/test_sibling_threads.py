"""Two threads of one worker (a poll job and the outbox job of one `acorn run`) share the outbox.

A lease belongs to one worker *and* one thread: a sibling thread of the same process may not take
a message another thread holds, so every queued message leaves exactly once, and two threads
writing files at the same moment never share a temporary name.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

from sqlmodel import select

from gateway.service import mailboxes, pipeline
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import Message, MessageEvent
from gateway.transports.base import write_atomically
from gateway.transports.local import LocalMailbox
from tests.pipeline.conftest import numbered_po

QUEUED = 40


def _queue_997s(runtime: Runtime) -> list[int]:
    for n in range(6100, 6100 + QUEUED):
        assert pipeline.ingest(runtime, numbered_po(n), f"po_{n}.edi", partner="amazon-us").state == "done"
    with session_scope(runtime.engine) as session:
        rows = session.exec(select(Message).where(Message.direction == "out", Message.state == "queued"))
        return [int(m.id) for m in rows]  # type: ignore[arg-type]


def test_two_threads_of_one_worker_send_each_queued_message_once(runtime: Runtime, monkeypatch) -> None:
    ids = _queue_997s(runtime)
    assert len(ids) == QUEUED
    sends: Counter[str] = Counter()
    real_send = LocalMailbox.send

    def slow_send(self: LocalMailbox, filename: str, data: bytes, ref: str | None = None):  # type: ignore[no-untyped-def]
        sends[filename] += 1
        time.sleep(0.005)  # a real upload takes a while: the sibling thread runs meanwhile
        return real_send(self, filename, data, ref)

    monkeypatch.setattr(LocalMailbox, "send", slow_send)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def send_path() -> None:
        try:
            barrier.wait()
            mailboxes.send_due(runtime)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=send_path) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert [name for name, count in sends.items() if count > 1] == []  # nothing sent twice
    with session_scope(runtime.engine) as session:
        states = Counter(session.get(Message, i).state for i in ids)  # type: ignore[union-attr]
        notes = [
            e.note or "" for e in session.exec(select(MessageEvent).where(MessageEvent.state == "queued"))
        ]
    assert states == {"sent": QUEUED}
    assert [n for n in notes if "cannot write" in n] == []  # no false "No such file" failures


def test_two_threads_writing_one_name_at_once_never_share_a_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "out.edi"
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        barrier.wait()
        try:
            for _ in range(20):
                write_atomically(target, f"payload {n}".encode())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert target.read_bytes().startswith(b"payload ")
    assert [p.name for p in tmp_path.iterdir()] == ["out.edi"]
