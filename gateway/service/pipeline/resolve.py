"""Ways out for a failure a replay cannot fix, each audited with who and why.

- :func:`correct`: an operator uploads a corrected file for a failed inbound message. The file
  is archived and processed as a new message whose ``corrects_id`` names the original; the
  original moves to ``resolved`` (it no longer needs action; the correction, if it fails too,
  does).
- :func:`reassign`: a failed inbound message is filed under another partner (it came through the
  wrong mailbox) and processed again for that partner.
- :func:`settle`: a failed message is marked ``resolved`` (fixed at the source) or ``ignored``,
  with a mandatory reason.

States move only through :mod:`gateway.store.messages`; a settled message can still be replayed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlmodel import Session

from gateway.service.pipeline.receive import receive
from gateway.service.pipeline.replay import replay
from gateway.service.pipeline.run import process
from gateway.service.runtime import Runtime
from gateway.store import messages, session_scope
from gateway.store.models import Direction, Message, MessageState

log = logging.getLogger(__name__)

#: what :func:`settle` may set
SETTLED = (MessageState.RESOLVED.value, MessageState.IGNORED.value)
AUDIT_ACTION = {MessageState.RESOLVED.value: "resolve", MessageState.IGNORED.value: "ignore"}


class ResolveError(ValueError):
    """The action does not apply to this message (not failed, unknown partner, no reason...)."""


@dataclass(frozen=True, slots=True)
class Resolution:
    """What an action did: the message acted on, its state, and the corrected copy if one was made."""

    message_id: int
    state: str
    correction_id: int | None = None
    correction_state: str | None = None
    error: str | None = None


def _failed_inbound(session: Session, message_id: int) -> Message:
    message = session.get(Message, message_id)
    if message is None:
        raise ResolveError(f"no message {message_id}")
    if message.state != MessageState.FAILED.value:
        raise ResolveError(f"message {message_id} is {message.state}, not failed")
    return message


def _reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise ResolveError("a reason is required")
    return text[:500]


def correct(
    runtime: Runtime, message_id: int, data: bytes, filename: str, *, actor: str, reason: str
) -> Resolution:
    """Archive ``data`` as the corrected copy of failed inbound message ``message_id`` and process it."""
    why = _reason(reason)
    if not data:
        raise ResolveError("the corrected file is empty")
    with session_scope(runtime.engine) as session:
        original = _failed_inbound(session, message_id)
        if original.direction != Direction.IN.value:
            raise ResolveError(f"message {message_id} is outbound: resend it instead")
        partner = original.partner
    name = filename or f"correction-of-{message_id}"
    receipt = receive(runtime, data, filename=name, partner=partner, actor=actor)
    with session_scope(runtime.engine) as session:
        original = _failed_inbound(session, message_id)
        copy = session.get(Message, receipt.message_id)
        assert copy is not None
        copy.corrects_id = message_id
        session.add(copy)
        messages.note_event(session, copy, f"corrected copy of message {message_id}: {why}", actor=actor)
        messages.move(
            session,
            original,
            MessageState.RESOLVED,
            f"corrected by message {receipt.message_id}: {why}",
            actor=actor,
            detail={"corrected_by": receipt.message_id},
        )
        messages.audit(
            session,
            actor,
            "correct",
            message_id,
            why,
            {"correction_id": receipt.message_id, "filename": filename, "error": original.error_message},
        )
    summary = process(runtime, receipt.message_id, actor=actor)
    log.info("message %s corrected by %s (%s) by %s", message_id, receipt.message_id, summary.state, actor)
    return Resolution(
        message_id, MessageState.RESOLVED.value, receipt.message_id, summary.state, summary.error
    )


def reassign(runtime: Runtime, message_id: int, partner: str, *, actor: str, reason: str) -> Resolution:
    """File failed inbound message ``message_id`` under ``partner`` and process it again for them."""
    why = _reason(reason)
    if partner not in runtime.partners.names():
        raise ResolveError(f"unknown partner {partner!r}")
    with session_scope(runtime.engine) as session:
        message = _failed_inbound(session, message_id)
        if message.direction != Direction.IN.value:
            raise ResolveError(f"message {message_id} is outbound: only inbound files can be reassigned")
        before = (message.partner, message.mailbox)
        message.partner, message.mailbox = partner, None
        messages.note_event(
            session,
            message,
            f"reassigned from {before[0] or 'unknown'} to {partner}: {why}",
            actor=actor,
            detail={"from_partner": before[0], "from_mailbox": before[1]},
        )
        messages.audit(
            session, actor, "reassign", message_id, why, {"from_partner": before[0], "to_partner": partner}
        )
    [outcome] = replay(runtime, [message_id], actor=actor, reason=f"reassigned to {partner}: {why}")
    return Resolution(message_id, outcome.state, error=outcome.error)


def settle(runtime: Runtime, message_id: int, outcome: str, *, actor: str, reason: str) -> Resolution:
    """Mark failed message ``message_id`` ``resolved`` or ``ignored`` with ``reason``."""
    why = _reason(reason)
    if outcome not in SETTLED:
        raise ResolveError(f"outcome must be one of {', '.join(SETTLED)}, not {outcome!r}")
    with session_scope(runtime.engine) as session:
        message = _failed_inbound(session, message_id)
        messages.move(session, message, MessageState(outcome), f"{outcome} by {actor}: {why}", actor=actor)
        messages.audit(
            session, actor, AUDIT_ACTION[outcome], message_id, why, {"error": message.error_message}
        )
    log.info("message %s %s by %s", message_id, outcome, actor)
    return Resolution(message_id, outcome)
