"""The inbound pipeline end to end on a real SQLite file and archive: states, errors, acks, replay."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from gateway.edi import parse
from gateway.service import pipeline
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import AuditEntry, Document, DocumentMessage, Message, MessageEvent
from tests.pipeline.conftest import sample


def _message(runtime: Runtime, message_id: int) -> Message:
    with session_scope(runtime.engine) as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message


def _outbound(runtime: Runtime) -> list[Message]:
    with session_scope(runtime.engine) as session:
        return list(
            session.exec(select(Message).where(Message.direction == "out").order_by(Message.id)).all()
        )


def test_a_purchase_order_is_stored_and_acknowledged(runtime: Runtime) -> None:
    receipt = pipeline.ingest(runtime, sample("x12_4010_850_new_po.edi"), "po.edi")
    assert receipt.new and receipt.state == "done"
    message = _message(runtime, receipt.message_id)
    assert (message.partner, message.standard, message.document_types) == ("amazon-us", "x12", ["850"])
    assert message.interchange_control == "000004101" and message.group_controls == ["4101"]
    assert runtime.archive.read(message.sha256) == sample("x12_4010_850_new_po.edi")
    with session_scope(runtime.engine) as session:
        docs = session.exec(select(Document)).all()
        assert [(d.type, d.business_key, d.partner) for d in docs] == [
            ("purchase_order", "4TQ8ZK2M", "amazon-us")
        ]
        link = session.exec(select(DocumentMessage)).one()
        assert (link.message_id, link.role) == (message.id, "source")
    (ack,) = _outbound(runtime)
    assert ack.id == message.ack_message_id and ack.state == "queued" and ack.document_types == ["997"]
    parsed = parse(runtime.archive.read(ack.sha256))
    assert parsed.ok
    header = parsed.interchanges[0].header
    assert (header.sender_id, header.receiver_id) == ("ACMEVENDOR", "AMAZON")
    body = parsed.transactions[0].segments
    assert body[1][:3] == ["AK1", "PO", "4101"]
    assert body[-2][:2] == ["AK9", "A"]


def test_the_same_file_again_is_a_duplicate_and_stores_nothing_new(runtime: Runtime) -> None:
    first = pipeline.ingest(runtime, sample("x12_4010_850_new_po.edi"), "po.edi")
    second = pipeline.ingest(runtime, sample("x12_4010_850_new_po.edi"), "po-again.edi")
    assert second.state == "duplicate"
    assert _message(runtime, second.message_id).duplicate_of_id == first.message_id
    assert len(_outbound(runtime)) == 1  # no second 997
    with session_scope(runtime.engine) as session:
        assert len(session.exec(select(Document)).all()) == 1


def test_an_envelope_defect_fails_the_message_naming_file_segment_and_element(runtime: Runtime) -> None:
    receipt = pipeline.ingest(runtime, sample("bad_x12_850_se_count.edi"), "bad-count.edi")
    assert receipt.state == "failed"
    message = _message(runtime, receipt.message_id)
    assert (message.error_stage, message.error_code) == ("envelope", "X12_SE_COUNT_MISMATCH")
    assert message.error_message.startswith("bad-count.edi: ")
    assert "(SE), element 01" in message.error_message
    assert message.error_position["tag"] == "SE"
    (ack,) = _outbound(runtime)  # the partner is told: AK5 R
    segments = parse(runtime.archive.read(ack.sha256)).transactions[0].segments
    assert next(s for s in segments if s[0] == "AK5")[:2] == ["AK5", "R"]


def test_unknown_sender_binary_and_empty_files_fail_clearly_and_the_next_file_still_works(
    runtime: Runtime,
) -> None:
    cases = {
        "bad_x12_850_unknown_partner.edi": ("partner", "UNKNOWN_PARTNER", "GLOBEXRETAIL"),
        "bad_binary.edi": ("parse", "BINARY_INPUT", "binary"),
        "bad_empty.edi": ("parse", "EMPTY_INPUT", "empty"),
    }
    for name, (stage, code, words) in cases.items():
        receipt = pipeline.ingest(runtime, sample(name), name)
        message = _message(runtime, receipt.message_id)
        assert (receipt.state, message.error_stage, message.error_code) == ("failed", stage, code), name
        assert name in message.error_message and words in message.error_message
    assert pipeline.ingest(runtime, sample("x12_4010_850_case_pack.edi"), "ok.edi").state == "done"


def test_a_file_is_one_partners_and_comes_through_that_partners_mailbox(runtime: Runtime) -> None:
    """An Amazon order in the warehouse's inbox, or a warehouse ASN appended to an Amazon file,
    fails naming both partners: it is neither filed under nor acknowledged to the wrong one."""
    po, asn = sample("x12_4010_850_new_po.edi"), sample("x12_4010_856_partial_shipment.edi")
    wrong_box = pipeline.ingest(runtime, po, "po.edi", partner="warehouse", mailbox="local")
    message = _message(runtime, wrong_box.message_id)
    assert (wrong_box.state, message.error_code) == ("failed", "WRONG_MAILBOX")
    assert "is from amazon-us" in message.error_message and "warehouse's mailbox" in message.error_message
    mixed = pipeline.ingest(runtime, po + asn, "both.edi")
    message = _message(runtime, mixed.message_id)
    assert (mixed.state, message.error_code) == ("failed", "MIXED_SENDERS")
    assert "is from warehouse" in message.error_message and "first from amazon-us" in message.error_message
    with session_scope(runtime.engine) as session:
        assert session.exec(select(Document)).all() == []
        queued = session.exec(select(Message).where(Message.direction == "out")).all()
        assert queued == []  # no 997 to anyone
    assert pipeline.ingest(runtime, po, "po.edi", partner="amazon-us", mailbox="local").state == "done"


def test_a_revised_po_replaces_the_stored_one(runtime: Runtime) -> None:
    original = sample("x12_4010_850_new_po.edi")
    pipeline.ingest(runtime, original, "po.edi")
    revised = (
        original.replace(b"000004101", b"000004102")
        .replace(b"*4101*", b"*4102*")
        .replace(b"GE*1*4101", b"GE*1*4102")
    )
    revised = revised.replace(b"BEG*00*", b"BEG*05*")  # purpose: replace
    receipt = pipeline.ingest(runtime, revised, "po-revised.edi")
    assert receipt.state == "done", _message(runtime, receipt.message_id).error_message
    with session_scope(runtime.engine) as session:
        (doc,) = session.exec(select(Document)).all()
        assert doc.revision == 2
        roles = sorted((link.message_id, link.role) for link in session.exec(select(DocumentMessage)).all())
        assert [r for _, r in roles] == ["replaced", "source"]


def test_replaying_an_older_message_keeps_the_later_version(runtime: Runtime) -> None:
    """PO v1, then its revision v2 (quantity 10); replaying v1 must not put quantity 24 back."""
    original = sample("x12_4010_850_new_po.edi")
    first = pipeline.ingest(runtime, original, "po.edi")
    revised = (
        original.replace(b"000004101", b"000004102")
        .replace(b"*4101*", b"*4102*")
        .replace(b"GE*1*4101", b"GE*1*4102")
    )
    revised = revised.replace(b"BEG*00*", b"BEG*05*").replace(b"PO1*1*24*", b"PO1*1*10*")
    assert b"PO1*1*10*" in revised
    second = pipeline.ingest(runtime, revised, "po-revised.edi")
    assert second.state == "done"
    pipeline.replay(runtime, [first.message_id], actor="ops", reason="test")
    assert _message(runtime, first.message_id).state == "done"
    with session_scope(runtime.engine) as session:
        (doc,) = session.exec(select(Document)).all()
        assert (doc.revision, doc.source_message_id, doc.data["lines"][0]["quantity"]) == (
            2,
            second.message_id,
            "10",
        )


def test_replay_after_a_mapping_fix_uses_todays_mapping_and_is_audited(runtime: Runtime, home: Path) -> None:
    mapping = home / "mappings" / "x12-004010-850-in.yaml"
    good = mapping.read_text(encoding="utf-8")
    assert "BEG03" in good
    mapping.write_text(good.replace("BEG03", "BEG09", 1), encoding="utf-8")  # po_number from an empty element
    receipt = pipeline.ingest(runtime, sample("x12_4010_850_new_po.edi"), "po.edi")
    message = _message(runtime, receipt.message_id)
    assert (receipt.state, message.error_stage) == ("failed", "translate")
    assert "po.edi" in message.error_message and "x12-004010-850-in.yaml" in message.error_message
    mapping.write_text(good, encoding="utf-8")
    with session_scope(runtime.engine) as session:
        assert pipeline.failed_message_ids(session, partner="amazon-us") == [receipt.message_id]
    (outcome,) = pipeline.replay(runtime, [receipt.message_id], actor="alice", reason="fixed BEG03 path")
    assert (outcome.state, outcome.error) == ("done", None)
    message = _message(runtime, receipt.message_id)
    assert message.error_code is None and message.attempts == 1
    with session_scope(runtime.engine) as session:
        audit = session.exec(select(AuditEntry)).one()
        assert (audit.actor, audit.action, audit.target_id, audit.reason) == (
            "alice", "replay", str(receipt.message_id), "fixed BEG03 path",
        )  # fmt: skip
        assert len(session.exec(select(Document)).all()) == 1
        notes = [
            e.note for e in session.exec(select(MessageEvent).where(MessageEvent.message_id == message.id))
        ]
        assert any("replay requested: fixed BEG03 path" in (n or "") for n in notes)
    assert len(_outbound(runtime)) == 1  # the 997 went once, not again on replay
    # replaying again changes nothing stored
    pipeline.replay(runtime, [receipt.message_id], actor="alice", reason="again")
    with session_scope(runtime.engine) as session:
        (doc,) = session.exec(select(Document)).all()
        assert doc.revision == 1


def test_a_message_held_by_another_worker_is_not_processed_twice(runtime: Runtime, home: Path) -> None:
    receipt = pipeline.receive(runtime, sample("x12_4010_850_new_po.edi"), filename="po.edi")
    other = Runtime.open(home / "config.yaml")
    other.worker_id = "elsewhere:1"
    try:
        assert pipeline.claim(other, receipt.message_id)
        assert pipeline.process(runtime, receipt.message_id).state == "busy"
        assert pipeline.process(other, receipt.message_id).state == "done"
    finally:
        other.close()
