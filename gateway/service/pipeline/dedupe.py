"""The dedupe stage: a file delivered twice is recorded as a duplicate of the first and skipped.

Twice means the same interchange identity (sender, receiver, ISA13/UNB5) or the same bytes
(sha256) as an earlier inbound message that did not fail (a failure an operator resolved or
ignored, or corrected by an upload, delivered nothing either). Canonical XML has no interchange: it
is a duplicate by its bytes alone. An operator's replay of the earlier message is not affected.
"""

from __future__ import annotations

from sqlalchemy import or_
from sqlmodel import Session, col, select

from gateway.service.pipeline.context import Context, Step
from gateway.store import leases, messages
from gateway.store.models import Direction, Message, MessageState, utcnow


def dedupe(session: Session, message: Message, context: Context) -> Step | None:
    """Finish ``message`` as a duplicate when an earlier one carried the same; else go on."""
    original = earlier_duplicate(session, message)
    if original is None:
        return Step.ACKNOWLEDGE
    message.duplicate_of_id = original.id
    message.completed_at = utcnow()
    leases.release(message)
    messages.move(
        session, message, MessageState.DUPLICATE, f"duplicate of message {original.id}", actor=context.actor
    )
    context.outcome = MessageState.DUPLICATE.value
    return None


def earlier_duplicate(session: Session, message: Message) -> Message | None:
    """An earlier inbound message, not a failure, with the same interchange identity or the same bytes."""
    same = col(Message.sha256) == message.sha256
    if message.interchange_control is not None:
        same = or_(
            same,
            (col(Message.sender_id) == message.sender_id)
            & (col(Message.receiver_id) == message.receiver_id)
            & (col(Message.interchange_control) == message.interchange_control),
        )
    return session.exec(
        select(Message)
        .where(
            Message.direction == Direction.IN.value,
            col(Message.id) < (message.id or 0),
            col(Message.state).not_in(messages.FAILURES),
            same,
        )
        .order_by(col(Message.id))
    ).first()
