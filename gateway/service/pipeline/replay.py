"""Replay and resend: an operator runs a message again, written to the audit log with who and why.

:func:`replay` re-runs inbound messages from their archived bytes with today's mappings and
partner profiles (the stages replace what the earlier attempt produced); an outbound message is
resent instead. :func:`resend` queues outbound messages again (same bytes, same control
numbers) for the sender. A message another holder is processing is left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from gateway.service.pipeline.run import process
from gateway.service.runtime import Runtime
from gateway.store import leases, messages, session_scope
from gateway.store.models import Direction, Message, MessageState, utcnow

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ReplayOutcome:
    """What a replay or resend did to one message."""

    message_id: int
    state: str
    error: str | None = None


def failed_message_ids(
    session: Session, partner: str | None = None, since: datetime | None = None, direction: str | None = None
) -> list[int]:
    """The ids of failed messages, oldest first, optionally of one partner and since a time."""
    query = select(Message.id).where(Message.state == MessageState.FAILED.value)
    if partner:
        query = query.where(Message.partner == partner)
    if since is not None:
        query = query.where(col(Message.created_at) >= since)
    if direction:
        query = query.where(Message.direction == direction)
    return [int(i or 0) for i in session.exec(query.order_by(col(Message.id))).all()]


def replay(runtime: Runtime, message_ids: Sequence[int], *, actor: str, reason: str) -> list[ReplayOutcome]:
    """Re-run inbound messages from their archived bytes (outbound ones are resent), each audited."""
    runtime.refresh()  # a fixed mapping or profile applies to this replay
    outcomes = []
    for message_id in message_ids:
        with session_scope(runtime.engine) as session:
            message = session.get(Message, message_id)
            direction = None if message is None else message.direction
        if direction is None:
            outcomes.append(ReplayOutcome(message_id, "missing", f"no message {message_id}"))
        elif direction == Direction.OUT.value:
            outcomes.extend(resend(runtime, [message_id], actor=actor, reason=reason))
        else:
            outcomes.append(_replay_one(runtime, message_id, actor, reason))
    return outcomes


def _replay_one(runtime: Runtime, message_id: int, actor: str, reason: str) -> ReplayOutcome:
    with session_scope(runtime.engine) as session:
        message = session.get(Message, message_id)
        assert message is not None
        if leases.held_by_other(message, runtime.lease_holder()):
            return ReplayOutcome(message_id, message.state, "being processed by another worker")
        before = message.state
        message.attempts += 1
        message.duplicate_of_id = None
        message.completed_at = None
        messages.audit(
            session,
            actor,
            "replay",
            message_id,
            reason,
            {"previous_state": before, "error": message.error_message},
        )
        messages.move(session, message, MessageState.RECEIVED, f"replay requested: {reason}", actor=actor)
    summary = process(runtime, message_id, actor=actor)
    log.info("replayed message %s by %s: %s", message_id, actor, summary.state)
    return ReplayOutcome(message_id, summary.state, summary.error)


def resend(runtime: Runtime, message_ids: Sequence[int], *, actor: str, reason: str) -> list[ReplayOutcome]:
    """Queue outbound messages again (same bytes, same control numbers); the sender sends them."""
    outcomes = []
    for message_id in message_ids:
        with session_scope(runtime.engine) as session:
            message = session.get(Message, message_id)
            if message is None or message.direction != Direction.OUT.value:
                outcomes.append(ReplayOutcome(message_id, "missing", f"no outbound message {message_id}"))
                continue
            before = message.state
            message.next_attempt_at = utcnow()
            messages.clear_error(message)
            messages.audit(session, actor, "resend", message_id, reason, {"previous_state": before})
            messages.move(session, message, MessageState.QUEUED, f"resend requested: {reason}", actor=actor)
            outcomes.append(ReplayOutcome(message_id, message.state))
    return outcomes
