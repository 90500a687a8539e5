"""A corrected copy sent again through the inbox settles the failure it corrects (issue 19: "a
corrected copy dropped in the inbox leaves the original counted as failed forever"). A real SQLite
file and PostgreSQL."""

from __future__ import annotations

from sqlmodel import col, select

from gateway.service import pipeline
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import AuditEntry, Message
from tests.pipeline.conftest import numbered_po


def _broken(n: int) -> bytes:
    """The numbered PO with its BEG03 (the PO number the mapping requires) emptied."""
    return numbered_po(n).replace(f"P{n:07d}".encode(), b"", 1)


def _unmapped(n: int) -> bytes:
    return numbered_po(n).replace(b"ST*850*", b"ST*860*")


def _message(runtime: Runtime, message_id: int) -> Message:
    with session_scope(runtime.engine) as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message


def _audits(runtime: Runtime, message_id: int) -> list[AuditEntry]:
    with session_scope(runtime.engine) as session:
        query = select(AuditEntry).where(col(AuditEntry.target_id) == str(message_id))
        return list(session.exec(query).all())


def test_the_same_interchange_corrected_resolves_the_failed_one(any_runtime: Runtime) -> None:
    failed = pipeline.ingest(any_runtime, _broken(41), "po.edi")
    assert failed.state == "failed"
    fixed = pipeline.ingest(any_runtime, numbered_po(41), "po-fixed.edi")
    assert fixed.state == "done"
    original = _message(any_runtime, failed.message_id)
    assert original.state == "resolved"
    assert _message(any_runtime, fixed.message_id).corrects_id == failed.message_id
    [entry] = [a for a in _audits(any_runtime, failed.message_id) if a.action == "correct"]
    assert entry.actor == "gateway" and entry.detail["correction_id"] == fixed.message_id


def test_a_copy_with_a_new_control_number_leaves_the_failure_to_the_operator(any_runtime: Runtime) -> None:
    failed = pipeline.ingest(any_runtime, _broken(42), "po.edi")
    other = pipeline.ingest(any_runtime, numbered_po(43), "po-43.edi")
    assert other.state == "done"
    assert _message(any_runtime, failed.message_id).state == "failed"
    assert _message(any_runtime, other.message_id).corrects_id is None


def test_a_mailbag_is_corrected_when_its_failed_interchange_comes_again(any_runtime: Runtime) -> None:
    bag = pipeline.ingest(
        any_runtime, numbered_po(44) + b"\n" + _unmapped(45) + b"\n" + _unmapped(46), "b.edi"
    )
    assert bag.state == "failed"
    first = pipeline.ingest(any_runtime, numbered_po(45), "45.edi")
    assert first.state == "done"
    assert _message(any_runtime, bag.message_id).state == "failed"  # interchange 46 still failed
    second = pipeline.ingest(any_runtime, numbered_po(46), "46.edi")
    assert second.state == "done"
    assert _message(any_runtime, bag.message_id).state == "resolved"
    assert _message(any_runtime, second.message_id).corrects_id == bag.message_id


def test_another_partners_interchange_corrects_nothing(any_runtime: Runtime) -> None:
    failed = pipeline.ingest(any_runtime, _broken(47), "po.edi")
    with session_scope(any_runtime.engine) as session:
        message = session.get(Message, failed.message_id)
        assert message is not None
        message.partner = "warehouse"  # as if it had come from another partner's mailbox
        session.add(message)
    assert pipeline.ingest(any_runtime, numbered_po(47), "po-fixed.edi").state == "done"
    assert _message(any_runtime, failed.message_id).state == "failed"
