"""An operator's decision on a message held as ``suspect_duplicate``: a duplicate, or new.

The dedupe stage holds a message when one of its interchanges carries the identity (sender,
receiver, ISA13/UNB5) of an earlier one with other bytes. Nothing of it is acknowledged or stored
until :func:`decide`: ``duplicate`` files it as a duplicate of the earlier message; ``new`` marks
its suspect interchanges as decided (in the message's interchange outcomes) and runs it again,
when dedupe lets them through. Filed as a duplicate, the message's other interchanges end
``failed`` (not processed) and are no longer counted as seen: a later delivery of one is new.
Either way the decision is audited with who and why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from sqlmodel import Session, col, delete

from gateway.service.pipeline.run import process
from gateway.service.runtime import Runtime
from gateway.store import leases, messages, session_scope
from gateway.store.models import AuditEntry, InterchangeSeen, Message, MessageState, utcnow

log = logging.getLogger(__name__)

Decision = Literal["new", "duplicate"]


class NotSuspect(ValueError):
    """The message is missing or not held as ``suspect_duplicate``."""


@dataclass(slots=True)
class Decided:
    """Where the decided message stands now."""

    message_id: int
    state: str


def decide(runtime: Runtime, message_id: int, decision: Decision, *, actor: str, reason: str) -> Decided:
    """Apply an operator's ``decision`` to a held message; raises :class:`NotSuspect` otherwise."""
    if decision not in ("new", "duplicate"):
        raise NotSuspect(f"decision must be 'new' or 'duplicate', not {decision!r}")
    if not reason.strip():
        raise NotSuspect("a reason is required")
    with session_scope(runtime.engine) as session:
        message = session.get(Message, message_id)
        if message is None or message.state != MessageState.SUSPECT_DUPLICATE.value:
            raise NotSuspect(f"message {message_id} is not held as a suspect duplicate")
        outcomes = [dict(o) for o in message.interchanges or []]
        suspects = [o for o in outcomes if o.get("outcome") == MessageState.SUSPECT_DUPLICATE.value]
        session.add(
            AuditEntry(
                actor=actor,
                action=f"suspect_duplicate_{decision}",
                target_type="message",
                target_id=str(message_id),
                reason=reason,
                detail={"interchanges": [o["interchange"] for o in suspects]},
            )
        )
        if decision == "duplicate":
            _unprocessed(session, message, outcomes, f"the message was filed as a duplicate by {actor}")
            message.duplicate_of_id = suspects[0]["duplicate_of"] if suspects else None
            message.completed_at = utcnow()
            leases.release(message)
            note = f"filed as a duplicate by {actor}: {reason}"
            messages.move(session, message, MessageState.DUPLICATE, note, actor=actor)
            return Decided(message_id, message.state)
        for outcome in suspects:
            outcome["decision"] = "new"
        message.interchanges = outcomes
        message.attempts += 1
        messages.move(
            session, message, MessageState.RECEIVED, f"processed as new by {actor}: {reason}", actor=actor
        )
    summary = process(runtime, message_id, actor=actor)
    log.info("suspect duplicate %s processed as new by %s: %s", message_id, actor, summary.state)
    return Decided(message_id, summary.state)


def _unprocessed(session: Session, message: Message, outcomes: list[dict[str, Any]], why: str) -> None:
    """The held message's other interchanges end ``failed`` (never stored), and are forgotten as
    seen, so a later delivery of one of them is processed instead of taken for a duplicate."""
    places = [o["interchange"] for o in outcomes if o.get("outcome") == "pending"]
    for outcome in outcomes:
        if outcome.get("outcome") == "pending":
            outcome.update(outcome="failed", documents=0, detail=f"not processed: {why}")
    if places:
        session.exec(
            delete(InterchangeSeen).where(
                col(InterchangeSeen.message_id) == message.id, col(InterchangeSeen.position).in_(places)
            )
        )
    message.interchanges = outcomes
