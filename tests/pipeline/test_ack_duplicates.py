"""The 997/CONTRL of a file some of whose interchanges are duplicates answers only what it
processes (issue 15, item 5 follow-up): the duplicate was answered when it first came. A real
SQLite file and PostgreSQL."""

from __future__ import annotations

from sqlmodel import col, select

from gateway.edi import parse
from gateway.edi.edifact.contrl import read_contrl
from gateway.edi.x12.ack import read_997
from gateway.service import pipeline
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import Message, MessageEvent
from tests.pipeline.conftest import numbered_po
from tests.pipeline.test_ack_agrees import edifact


def _ack_results(runtime: Runtime, message_id: int) -> list:
    with session_scope(runtime.engine) as session:
        message = session.get(Message, message_id)
        assert message is not None and message.ack_message_id is not None, "no acknowledgement queued"
        ack = session.get(Message, message.ack_message_id)
        assert ack is not None
    data = runtime.archive.path_for(ack.sha256).read_bytes()
    return [read_997(t) if t.type == "997" else read_contrl(t) for t in parse(data).transactions]


def _notes(runtime: Runtime, message_id: int) -> list[str]:
    with session_scope(runtime.engine) as session:
        events = session.exec(select(MessageEvent).where(col(MessageEvent.message_id) == message_id)).all()
        return [e.note or "" for e in events]


def test_the_997_of_a_mailbag_answers_its_new_interchanges_only(any_runtime: Runtime) -> None:
    first = pipeline.ingest(any_runtime, numbered_po(51), "one.edi")
    assert [r.group_control_number for r in _ack_results(any_runtime, first.message_id)] == ["0051"]
    bag = numbered_po(52) + b"\n" + numbered_po(51) + b"\n" + numbered_po(53)
    mixed = pipeline.ingest(any_runtime, bag, "bag.edi")
    assert mixed.state == "done"
    answered = [r.group_control_number for r in _ack_results(any_runtime, mixed.message_id)]
    assert answered == ["0052", "0053"]
    assert any(
        "not answered again: interchange 2 (duplicate)" in n for n in _notes(any_runtime, mixed.message_id)
    )


def test_a_file_without_duplicates_answers_every_interchange(any_runtime: Runtime) -> None:
    bag = numbered_po(54) + b"\n" + numbered_po(55)
    receipt = pipeline.ingest(any_runtime, bag, "bag.edi")
    assert [r.group_control_number for r in _ack_results(any_runtime, receipt.message_id)] == ["0054", "0055"]
    assert not any("not answered again" in n for n in _notes(any_runtime, receipt.message_id))


def test_the_contrl_of_a_mailbag_answers_its_new_interchanges_only(any_runtime: Runtime) -> None:
    pipeline.ingest(any_runtime, edifact("EU61", ["G61A"]), "one.edi")
    bag = edifact("EU62", ["G62A"]) + b"\n" + edifact("EU61", ["G61A"])
    mixed = pipeline.ingest(any_runtime, bag, "bag.edi")
    assert mixed.state == "done"
    assert [r.interchange_control_number for r in _ack_results(any_runtime, mixed.message_id)] == ["EU62"]
