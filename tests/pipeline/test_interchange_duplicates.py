"""Duplicates per interchange (issue 15, item 5): an interchange delivered again, alone or inside
another file, is skipped and recorded; the rest of its file goes on. SQLite file and PostgreSQL."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import select

from gateway.edi.digest import interchange_digests
from gateway.service import pipeline
from gateway.service.pipeline import suspects
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import AuditEntry, Document, Message
from tests.pipeline.conftest import numbered_po


def _message(runtime: Runtime, message_id: int) -> Message:
    with session_scope(runtime.engine) as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message


def _keys(runtime: Runtime) -> list[str]:
    with session_scope(runtime.engine) as session:
        return sorted(d.business_key for d in session.exec(select(Document)).all())


def test_a_second_interchange_again_on_its_own_is_a_duplicate(any_runtime: Runtime) -> None:
    first = pipeline.ingest(any_runtime, numbered_po(1) + numbered_po(2), "bag.edi")
    assert first.state == "done"
    again = pipeline.ingest(any_runtime, numbered_po(2), "second-again.edi")
    assert again.state == "duplicate"
    message = _message(any_runtime, again.message_id)
    assert message.duplicate_of_id == first.message_id
    assert message.interchanges is not None
    (outcome,) = message.interchanges
    assert (outcome["outcome"], outcome["duplicate_of"], outcome["same_bytes"]) == (
        "duplicate",
        first.message_id,
        True,
    )
    assert _keys(any_runtime) == ["P0000001", "P0000002"]


def test_a_file_with_one_old_and_one_new_interchange_stores_only_the_new(any_runtime: Runtime) -> None:
    first = pipeline.ingest(any_runtime, numbered_po(1), "one.edi")
    mixed = pipeline.ingest(any_runtime, numbered_po(3) + b"\r\n" + numbered_po(1), "mixed.edi")
    assert mixed.state == "done"
    message = _message(any_runtime, mixed.message_id)
    assert message.duplicate_of_id is None
    assert message.interchanges is not None
    new, old = message.interchanges
    assert new["outcome"] != "duplicate" and new["control"] == "000000003"
    assert (old["outcome"], old["duplicate_of"], old["same_bytes"]) == ("duplicate", first.message_id, True)
    assert _keys(any_runtime) == ["P0000001", "P0000003"]
    with session_scope(any_runtime.engine) as session:
        doc = session.exec(select(Document).where(Document.business_key == "P0000003")).one()
        assert doc.source_message_id == mixed.message_id
    # the interchange first seen inside the mixed file is now itself known
    assert pipeline.ingest(any_runtime, numbered_po(3), "three-again.edi").state == "duplicate"


def test_an_interchange_of_a_failed_message_is_not_a_duplicate(any_runtime: Runtime) -> None:
    broken = numbered_po(4).replace(b"SE*16*", b"SE*99*")
    assert pipeline.ingest(any_runtime, broken, "broken.edi").state == "failed"
    fixed = pipeline.ingest(any_runtime, numbered_po(4), "fixed.edi")
    assert fixed.state == "done"
    assert _keys(any_runtime) == ["P0000004"]


@settings(max_examples=50, deadline=None)
@given(
    pads=st.lists(st.sampled_from(["", "\n", "\r\n", "  \n\t"]), min_size=3, max_size=3),
    order=st.permutations([1, 2, 3]),
)
def test_an_interchange_has_one_digest_wherever_it_sits(
    tmp_path_factory: pytest.TempPathFactory, pads: list[str], order: list[int]
) -> None:
    folder = tmp_path_factory.mktemp("dig")
    alone = {}
    for n in order:
        (folder / f"{n}.edi").write_bytes(numbered_po(n))
        (alone[n],) = interchange_digests(folder / f"{n}.edi", [0])
    parts = [pad.encode() + numbered_po(n) for pad, n in zip(pads, order, strict=True)]
    bag = folder / "bag.edi"
    bag.write_bytes(b"".join(parts))
    offsets, at = [], 0
    for pad, part in zip(pads, parts, strict=True):
        offsets.append(at + len(pad))
        at += len(part)
    assert interchange_digests(bag, offsets) == [alone[n] for n in order]
    assert len(set(alone.values())) == 3


def _changed(n: int) -> bytes:
    """The numbered PO with the same control numbers and one quantity changed."""
    return numbered_po(n).replace(b"PO1*1*24*EA", b"PO1*1*25*EA")


def _outbound_count(runtime: Runtime) -> int:
    with session_scope(runtime.engine) as session:
        return len(session.exec(select(Message).where(Message.direction == "out")).all())


def test_same_control_number_other_bytes_is_held_and_filed_as_duplicate(any_runtime: Runtime) -> None:
    first = pipeline.ingest(any_runtime, numbered_po(5), "po.edi")
    acks = _outbound_count(any_runtime)
    held = pipeline.ingest(any_runtime, _changed(5), "po-changed.edi")
    assert held.state == "suspect_duplicate"
    assert _outbound_count(any_runtime) == acks  # not acknowledged
    message = _message(any_runtime, held.message_id)
    assert message.interchanges is not None
    (outcome,) = message.interchanges
    assert (outcome["outcome"], outcome["duplicate_of"], outcome["same_bytes"]) == (
        "suspect_duplicate",
        first.message_id,
        False,
    )
    decided = suspects.decide(any_runtime, held.message_id, "duplicate", actor="ops", reason="resend")
    assert decided.state == "duplicate"
    assert _message(any_runtime, held.message_id).duplicate_of_id == first.message_id
    with session_scope(any_runtime.engine) as session:
        doc = session.exec(select(Document)).one()
        assert doc.source_message_id == first.message_id
        audit = session.exec(select(AuditEntry).where(AuditEntry.target_id == str(held.message_id))).one()
        assert (audit.actor, audit.action, audit.reason) == ("ops", "suspect_duplicate_duplicate", "resend")
    with pytest.raises(suspects.NotSuspect):
        suspects.decide(any_runtime, held.message_id, "new", actor="ops", reason="again")


def test_a_suspect_processed_as_new_is_stored_and_acknowledged(any_runtime: Runtime) -> None:
    pipeline.ingest(any_runtime, numbered_po(6), "po.edi")
    acks = _outbound_count(any_runtime)
    held = pipeline.ingest(any_runtime, _changed(6), "po-changed.edi")
    decided = suspects.decide(any_runtime, held.message_id, "new", actor="ops", reason="a real change")
    assert decided.state == "done"
    assert _outbound_count(any_runtime) == acks + 1
    with session_scope(any_runtime.engine) as session:
        doc = session.exec(select(Document)).one()  # the same business key, revised by the new one
        assert doc.source_message_id == held.message_id
    message = _message(any_runtime, held.message_id)
    assert message.interchanges is not None and message.interchanges[0]["decision"] == "new"
