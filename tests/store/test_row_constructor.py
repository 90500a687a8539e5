"""The tables' constructor (:class:`gateway.store.models.Row`) builds what SQLModel's builds.

Every table derived from ``Row`` is built both ways from the same keywords: the same fields set
to the same values (a default factory called: a new list each time, a timestamp now), the same
``model_fields_set``; the row written and read back has those values, and a change made after it
was built is written as SQLModel's would be.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from sqlmodel._compat import sqlmodel_table_construct

from gateway.store import session_scope
from gateway.store.models import (
    AuditEntry,
    Document,
    DocumentLine,
    DocumentMessage,
    InterchangeSeen,
    MailboxStatus,
    Message,
    MessageEvent,
    Row,
    ShipNoticeRecord,
    SsccUse,
)

SAMPLES: list[tuple[type[Row], dict[str, Any]]] = [
    (Message, {"direction": "in", "sha256": "ab" * 32, "archive_path": "ab/x", "partner": "amazon-us"}),
    (MessageEvent, {"message_id": 1, "state": "received", "note": "received"}),
    (Document, {"partner": "p", "type": "purchase_order", "business_key": "PO1", "data": {"a": 1}}),
    (DocumentLine, {"document_id": 1, "line_no": "1", "quantity": Decimal("2.5")}),
    (DocumentMessage, {"document_id": 1, "message_id": 2}),
    (AuditEntry, {"actor": "a", "action": "replay", "detail": {"why": "x"}, "unknown_keyword": 1}),
    (InterchangeSeen, {"message_id": 1, "position": 1, "sender_id": "S", "receiver_id": "R", "control": "1"}),
    (ShipNoticeRecord, {"partner": "p", "shipment_id": "S1", "source_shipment_id": "A1"}),
    (SsccUse, {"partner": "p", "sscc": "00123", "shipment_id": "S1"}),
    (MailboxStatus, {"partner": "p", "mailbox": "inbox", "polls": 3}),
]


def _values(row: Row) -> dict[str, Any]:
    return {k: v for k, v in row.__dict__.items() if not k.startswith("_sa_")}


@pytest.mark.parametrize(("cls", "kw"), SAMPLES, ids=[c.__name__ for c, _ in SAMPLES])
def test_a_row_is_built_as_sqlmodel_builds_it(cls: type[Row], kw: dict[str, Any]) -> None:
    ours = cls(**kw)
    theirs = cls()  # then filled by SQLModel's own table constructor, from the same keywords
    sqlmodel_table_construct(self_instance=theirs, values=dict(kw))
    a, b = _values(ours), _values(theirs)
    assert a.keys() == b.keys()
    for name in a:
        if isinstance(a[name], datetime):  # a default factory's now: each its own
            assert isinstance(b[name], datetime) and a[name].tzinfo is not None
        else:
            assert a[name] == b[name], name
    assert ours.model_fields_set == theirs.model_fields_set == set(kw) & set(cls.model_fields)
    for name, value in a.items():  # a default factory gives each row its own list or dict
        if isinstance(value, list | dict) and name not in kw:
            assert value is not getattr(cls(**kw), name)


def test_a_row_round_trips_and_a_later_change_is_written(engine: Engine) -> None:
    with session_scope(engine) as session:
        message = Message(direction="in", sha256="cd" * 32, archive_path="cd/x", filename="po.edi")
        session.add(message)
        session.flush()
        message.state = "parsed"
        message.group_controls = ["7"]
        session.flush()
        message_id = message.id
    with session_scope(engine) as session:
        row = session.exec(select(Message).where(Message.id == message_id)).one()
        assert (row.state, row.group_controls, row.filename, row.document_types) == (
            "parsed",
            ["7"],
            "po.edi",
            [],
        )
        assert row.error_position is None and row.created_at is not None


def test_model_validate_still_validates() -> None:
    with pytest.raises(ValueError):
        Message.model_validate({"direction": "in", "sha256": "x", "archive_path": "y", "size": "many"})
    assert Message.model_validate({"direction": "in", "sha256": "x", "archive_path": "y"}).size == 0
