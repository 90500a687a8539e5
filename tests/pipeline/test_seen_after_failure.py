"""An interchange stored by a message that failed for another interchange counts as seen (issue 15,
item 5 follow-up): sent again, alone or in the same file, it is a duplicate (no second 997, no
hooks); the failed interchange is processed again; a replay of the failed message still runs its
own interchanges. A real SQLite file and PostgreSQL."""

from __future__ import annotations

from sqlmodel import col, select

from gateway.service import pipeline
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import Document, InterchangeSeen, Message, MessageEvent
from tests.pipeline.conftest import numbered_po


def _unmapped(n: int) -> bytes:
    """The numbered PO as an 860, which has no inbound mapping: its interchange fails."""
    return numbered_po(n).replace(b"ST*850*", b"ST*860*")


def _message(runtime: Runtime, message_id: int) -> Message:
    with session_scope(runtime.engine) as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message


def _outbound(runtime: Runtime) -> int:
    with session_scope(runtime.engine) as session:
        return len(session.exec(select(Message).where(Message.direction == "out")).all())


def _sources(runtime: Runtime) -> dict[str, int | None]:
    with session_scope(runtime.engine) as session:
        return {d.business_key: d.source_message_id for d in session.exec(select(Document)).all()}


def _notes(runtime: Runtime, message_id: int) -> list[str]:
    with session_scope(runtime.engine) as session:
        events = session.exec(select(MessageEvent).where(col(MessageEvent.message_id) == message_id)).all()
        return [e.note or "" for e in events]


def _failed_with_one_stored(runtime: Runtime) -> int:
    receipt = pipeline.ingest(runtime, numbered_po(31) + b"\n" + _unmapped(32), "bag.edi")
    assert receipt.state == "failed"
    one, two = _message(runtime, receipt.message_id).interchanges or []
    assert (one["outcome"], two["outcome"]) == ("stored", "failed")
    assert _sources(runtime) == {"P0000031": receipt.message_id}
    return receipt.message_id


def test_a_stored_interchange_of_a_failed_message_sent_again_is_a_duplicate(any_runtime: Runtime) -> None:
    failed = _failed_with_one_stored(any_runtime)
    acks = _outbound(any_runtime)
    again = pipeline.ingest(any_runtime, numbered_po(31), "again.edi")
    assert again.state == "duplicate"
    message = _message(any_runtime, again.message_id)
    assert message.duplicate_of_id == failed
    (entry,) = message.interchanges or []
    assert (entry["outcome"], entry["duplicate_of"], entry["duplicate_of_interchange"]) == (
        "duplicate",
        failed,
        1,
    )
    assert _outbound(any_runtime) == acks  # no second 997
    assert not any("P0000031" in note for note in _notes(any_runtime, again.message_id))  # nothing stored
    assert _sources(any_runtime) == {"P0000031": failed}


def test_the_failed_file_sent_again_skips_the_stored_interchange_only(any_runtime: Runtime) -> None:
    failed = _failed_with_one_stored(any_runtime)
    again = pipeline.ingest(any_runtime, numbered_po(31) + b"\n" + _unmapped(32), "bag-again.edi")
    assert again.state == "failed"  # the 860 still has no mapping: processed again, failed again
    one, two = _message(any_runtime, again.message_id).interchanges or []
    assert (one["outcome"], one["duplicate_of"]) == ("duplicate", failed)
    assert two["outcome"] == "failed" and [p["code"] for p in two["problems"]] == ["NO_MAPPING"]
    assert _sources(any_runtime) == {"P0000031": failed}


def test_the_failed_interchange_of_a_failed_message_is_not_seen(any_runtime: Runtime) -> None:
    _failed_with_one_stored(any_runtime)
    fixed = pipeline.ingest(any_runtime, numbered_po(32), "fixed.edi")
    assert fixed.state == "done"
    assert _sources(any_runtime)["P0000032"] == fixed.message_id


def test_a_replay_of_the_failed_message_runs_its_own_interchanges_again(any_runtime: Runtime) -> None:
    failed = _failed_with_one_stored(any_runtime)
    acks = _outbound(any_runtime)
    (outcome,) = pipeline.replay(any_runtime, [failed], actor="ops", reason="try again")
    assert outcome.state == "failed"
    one, two = _message(any_runtime, failed).interchanges or []
    assert (one["outcome"], one["documents"]) == ("stored", 1)  # stored again, not a duplicate of itself
    assert two["outcome"] == "failed"
    assert _outbound(any_runtime) == acks  # the message remembers its 997
    assert _sources(any_runtime) == {"P0000031": failed}
    with session_scope(any_runtime.engine) as session:
        seen = session.exec(select(InterchangeSeen).where(InterchangeSeen.message_id == failed)).all()
        assert sorted(s.position for s in seen) == [1, 2]
    # still counted as seen after the replay
    assert pipeline.ingest(any_runtime, numbered_po(31), "again.edi").state == "duplicate"
