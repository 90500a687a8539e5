"""The tables on a real database: round trips, uniqueness, links, timeline and audit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from gateway.store import (
    AuditEntry,
    Direction,
    Document,
    DocumentLine,
    DocumentMessage,
    Message,
    MessageEvent,
    MessageState,
    User,
    session_scope,
)


def a_message(**kw) -> Message:
    values = {
        "direction": Direction.IN.value,
        "partner": "amazon-us",
        "mailbox": "local",
        "filename": "po-1.edi",
        "size": 123,
        "sha256": "ab" * 32,
        "archive_path": "ab/ab/" + "ab" * 32,
    }
    values.update(kw)
    return Message(**values)


def test_message_round_trip(engine) -> None:
    position = {"interchange": 1, "segment": 7, "tag": "PO1", "element": 4}
    with session_scope(engine) as s:
        msg = a_message(
            standard="x12",
            interchange_control="000000905",
            group_controls=["905"],
            transaction_controls=["0001", "0002"],
            sender_qualifier="ZZ",
            sender_id="AMAZON",
            receiver_id="ACMEVENDOR",
            document_types=["850"],
            state=MessageState.FAILED.value,
            error_stage="mapping",
            error_code="REQUIRED",
            error_message="po_number is required",
            error_position=position,
            attempts=2,
        )
        s.add(msg)
        s.flush()
        msg_id = msg.id
    with session_scope(engine) as s:
        got = s.get(Message, msg_id)
        assert got is not None
        assert got.transaction_controls == ["0001", "0002"]
        assert got.error_position == position
        assert got.state == "failed"
        assert got.created_at is not None
        found = s.exec(select(Message).where(Message.interchange_control == "000000905")).all()
        assert [m.id for m in found] == [msg_id]


def test_events_form_a_timeline(engine) -> None:
    with session_scope(engine) as s:
        msg = a_message()
        s.add(msg)
        s.flush()
        for state in ("received", "parsed", "translated", "done"):
            s.add(MessageEvent(message_id=msg.id, state=state, note=f"now {state}"))
        msg_id = msg.id
    with session_scope(engine) as s:
        events = s.exec(
            select(MessageEvent).where(MessageEvent.message_id == msg_id).order_by(MessageEvent.id)
        ).all()
        assert [e.state for e in events] == ["received", "parsed", "translated", "done"]


def test_document_unique_per_partner_type_key(engine) -> None:
    with session_scope(engine) as s:
        s.add(Document(partner="amazon-us", type="purchase_order", business_key="PO1", po_number="PO1"))
        s.add(Document(partner="amazon-eu", type="purchase_order", business_key="PO1", po_number="PO1"))
        s.add(Document(partner="amazon-us", type="shipment", business_key="PO1"))
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        s.add(Document(partner="amazon-us", type="purchase_order", business_key="PO1"))
    with session_scope(engine) as s:
        assert len(s.exec(select(Document)).all()) == 3


def test_document_with_lines_links_and_decimals(engine) -> None:
    canonical = {"po_number": "PO9", "lines": [{"line_no": "1", "quantity": "12", "unit_price": "3.1416"}]}
    with session_scope(engine) as s:
        msg = a_message()
        s.add(msg)
        s.flush()
        doc = Document(
            partner="amazon-us",
            type="purchase_order",
            business_key="PO9",
            data=canonical,
            po_number="PO9",
            document_date=date(2024, 3, 1),
            currency="USD",
            total=Decimal("37.6992"),
            source_message_id=msg.id,
        )
        s.add(doc)
        s.flush()
        s.add(
            DocumentLine(
                document_id=doc.id,
                line_no="1",
                po_number="PO9",
                asin="B000TEST",
                quantity=Decimal("12"),
                unit_price=Decimal("3.1416"),
            )
        )
        s.add(DocumentMessage(document_id=doc.id, message_id=msg.id, role="source"))
        doc_id, msg_id = doc.id, msg.id
    with session_scope(engine) as s:
        doc = s.get(Document, doc_id)
        assert doc is not None and doc.data == canonical
        assert doc.total == Decimal("37.6992") and doc.document_date == date(2024, 3, 1)
        line = s.exec(select(DocumentLine).where(DocumentLine.po_number == "PO9")).one()
        assert line.unit_price == Decimal("3.1416") and line.quantity == 12
        link = s.exec(select(DocumentMessage).where(DocumentMessage.message_id == msg_id)).one()
        assert link.document_id == doc_id


def test_foreign_keys_are_enforced(engine) -> None:
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        s.add(MessageEvent(message_id=999_999, state="received"))


def test_audit_and_users(engine) -> None:
    with session_scope(engine) as s:
        s.add(
            AuditEntry(
                actor="alice", action="replay", target_type="message", target_id="42", reason="mapping fixed"
            )
        )
        s.add(User(username="alice", password_hash="scrypt$...", role="operator"))
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        s.add(User(username="alice", password_hash="x"))
    with session_scope(engine) as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.target_id == "42")).one()
        assert (entry.actor, entry.action, entry.reason) == ("alice", "replay", "mapping fixed")
        assert entry.at is not None


def test_json_list_columns_default_to_a_new_list_through_a_plain_function() -> None:
    """Each row gets its own empty list; the factory is a Python function, not the ``list`` builtin
    (pydantic reads a factory's signature each time it calls it: a builtin's is parsed from text,
    some 80 µs a column of every row built without the value)."""
    from sqlmodel import SQLModel

    import gateway.store.money
    import gateway.store.settlement  # noqa: F401  (their tables too)
    from gateway.store.models import ShipNoticeRecord

    first, second = a_message(), a_message()
    assert first.document_types == [] and first.document_types is not second.document_types
    assert ShipNoticeRecord(partner="p", shipment_id="s", source_shipment_id="s").reasons == []
    for table in SQLModel.__subclasses__():
        for name, field in getattr(table, "model_fields", {}).items():
            assert not isinstance(field.default_factory, type), f"{table.__name__}.{name}"
