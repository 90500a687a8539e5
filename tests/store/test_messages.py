"""The message state machine: one table of moves, one writer, the event written with every move."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from gateway.store import messages, session_scope
from gateway.store.messages import TRANSITIONS, IllegalTransition
from gateway.store.models import Message, MessageEvent, MessageState


def _new(session, state: MessageState = MessageState.RECEIVED) -> Message:  # type: ignore[no-untyped-def]
    row = Message(
        direction="in" if state is MessageState.RECEIVED else "out", sha256="0" * 64, archive_path="x"
    )
    return messages.add(session, row, state, "created", actor="tester")


def test_every_state_has_its_row_in_the_table() -> None:
    assert set(TRANSITIONS) == set(MessageState)


def test_a_move_writes_the_state_and_the_event_with_actor_and_note(engine: Engine) -> None:
    with session_scope(engine) as session:
        message = _new(session)
        messages.move(session, message, MessageState.PARSED, "parsed: 1 transaction(s)", actor="ops")
        message_id = message.id
    with session_scope(engine) as session:
        events = session.exec(select(MessageEvent).where(MessageEvent.message_id == message_id)).all()
        assert [(e.state, e.actor, e.note) for e in events] == [
            ("received", "tester", "created"),
            ("parsed", "ops", "parsed: 1 transaction(s)"),
        ]
        assert session.get(Message, message_id).state == "parsed"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("start", "path", "illegal"),
    [
        (MessageState.RECEIVED, [], MessageState.DONE),  # never done without being parsed
        (MessageState.RECEIVED, [MessageState.PARSED, MessageState.DUPLICATE], MessageState.DONE),
        (MessageState.QUEUED, [MessageState.SENT], MessageState.SENT),  # sent twice
        (MessageState.QUEUED, [], MessageState.PARSED),  # an outbound message is never parsed
    ],
)
def test_an_illegal_move_raises_and_changes_nothing(
    engine: Engine, start: MessageState, path: list[MessageState], illegal: MessageState
) -> None:
    with session_scope(engine) as session:
        message = _new(session, start)
        for state in path:
            messages.move(session, message, state, state.value)
        with pytest.raises(IllegalTransition):
            messages.move(session, message, illegal, "no")
        assert message.state == (path[-1] if path else start).value


def test_a_message_starts_only_as_received_or_queued(engine: Engine) -> None:
    with session_scope(engine) as session, pytest.raises(IllegalTransition):
        _new(session, MessageState.DONE)


def test_fail_records_the_reason_and_the_code(engine: Engine) -> None:
    with session_scope(engine) as session:
        message = _new(session)
        event = messages.fail(
            session, message, "partner", "UNKNOWN_PARTNER", "po.edi: unknown", {"segment": 1}
        )
        assert (message.state, message.error_stage, message.error_code) == (
            "failed",
            "partner",
            "UNKNOWN_PARTNER",
        )
        assert (event.note, event.detail) == ("partner failed: po.edi: unknown", {"code": "UNKNOWN_PARTNER"})
