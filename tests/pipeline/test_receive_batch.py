"""Receiving in batches (issue 16 item 1): several files archived in sequence, one commit for
all their rows; a file received before comes back as it was, never a second row."""

from __future__ import annotations

from sqlmodel import func, select

from gateway.service.pipeline import Incoming, receive_batch
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import Message
from tests.pipeline.conftest import numbered_po


def _origin(name: str) -> Incoming:
    return Incoming(numbered_po(int(name)), f"po_{name}.edi", {"partner": "amazon-us", "mailbox": "inbox"})


def test_a_batch_is_received_in_one_go_and_a_refetch_is_recognised(runtime: Runtime) -> None:
    first = receive_batch(runtime, [_origin("1"), _origin("2"), _origin("3")])
    assert [r.new for r in first] == [True, True, True]
    assert len({r.message_id for r in first}) == 3
    again = receive_batch(runtime, [_origin("2"), _origin("4"), _origin("4")])
    assert again[0].new is False and again[0].message_id == first[1].message_id
    assert again[1].new is True
    assert again[2].new is False and again[2].message_id == again[1].message_id  # twice in one batch
    with session_scope(runtime.engine) as session:
        assert session.exec(select(func.count()).select_from(Message)).one() == 4
        rows = session.exec(select(Message)).all()
        assert {m.state for m in rows} == {"received"}
        assert all(runtime.archive.read(m.sha256) for m in rows)
