"""Leases belong to one worker and one thread or job: a sibling thread never takes a live one."""

from __future__ import annotations

import os
import socket
import threading
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import col

from gateway.store import leases, messages, session_scope
from gateway.store.models import Message, MessageState

WORKER = f"{socket.gethostname()}:{os.getpid()}"
MINUTE = timedelta(minutes=1)


def _message(engine: Engine) -> int:
    with session_scope(engine) as session:
        row = Message(direction="in", sha256="0" * 64, archive_path="x")
        return int(messages.add(session, row, MessageState.RECEIVED, "received").id or 0)


def _claim(engine: Engine, message_id: int, owner: str, duration: timedelta = MINUTE) -> bool:
    with session_scope(engine) as session:
        return leases.claim(session, Message, [col(Message.id) == message_id], owner, duration)


def _in_thread(fn):  # type: ignore[no-untyped-def]
    result = []
    thread = threading.Thread(target=lambda: result.append(fn()))
    thread.start()
    thread.join()
    return result[0]


def test_a_sibling_thread_of_the_same_worker_cannot_take_a_live_lease(engine: Engine) -> None:
    message_id = _message(engine)
    assert _claim(engine, message_id, leases.holder(WORKER))
    assert _claim(engine, message_id, leases.holder(WORKER))  # the same thread re-enters its own lease
    assert not _in_thread(lambda: _claim(engine, message_id, leases.holder(WORKER)))
    assert not _claim(engine, message_id, leases.holder(WORKER, job="bulk-1"))  # nor a job of it


def test_an_expired_lease_is_free_and_renew_is_for_the_holder_only(engine: Engine) -> None:
    message_id = _message(engine)
    assert _claim(engine, message_id, "elsewhere:1:t1", timedelta(seconds=-1))
    assert _claim(engine, message_id, leases.holder(WORKER))
    with session_scope(engine) as session:
        where = [col(Message.id) == message_id]
        assert not leases.renew(session, Message, where, "elsewhere:1:t1", MINUTE)
        assert leases.renew(session, Message, where, leases.holder(WORKER), MINUTE)
        leases.release_held(session, Message, where, "elsewhere:1:t1")  # not theirs: stays
    with session_scope(engine) as session:
        assert session.get(Message, message_id).lease_owner == leases.holder(WORKER)  # type: ignore[union-attr]


def test_liveness_of_processes_and_threads() -> None:
    host = socket.gethostname()
    ended = _in_thread(lambda: leases.holder(WORKER))
    assert not leases.owner_is_dead(leases.holder(WORKER))  # this thread runs
    assert leases.owner_is_dead(ended)  # that thread of ours has ended
    assert leases.owner_is_dead(f"{host}:{2**22 + 12345}")  # no such process
    assert not leases.owner_is_dead(f"{host}:{os.getpid()}:bulk-1")  # a job of ours: not judged here
    assert not leases.owner_is_dead("elsewhere:1:t1")  # another host: its lease expires
    assert leases.process_alive(f"{host}:{os.getpid()}") is True
    assert leases.process_alive("elsewhere:1") is None
