"""The dedupe stage: what was delivered before is recorded as a duplicate of the first and skipped.

A whole file is a duplicate when its bytes (sha256) are those of an earlier inbound message that
did not fail (a failure an operator resolved or ignored, or corrected by an upload, delivered
nothing either). Otherwise each interchange is looked at on its own: one whose identity (sender,
receiver, ISA13/UNB5) an earlier message that did not fail already carried is skipped, recorded in
the message's interchange outcomes as ``duplicate`` of that message (with ``same_bytes`` saying
whether the digest of its own bytes matches), and the rest of the file goes on. An interchange
whose documents were stored counts as seen even when its message failed for another of its
interchanges (its outcome is ``stored``): the partner resending the failed file gets the stored
interchange skipped (no second 997/CONTRL, no hooks again) and the failed one processed. A file whose every
interchange is a duplicate ends ``duplicate``. An interchange whose identity was seen before with
*other* bytes (a changed retransmission) holds the whole message as ``suspect_duplicate`` before
anything is acknowledged or stored, until an operator decides
(:mod:`gateway.service.pipeline.suspects`): filed as a duplicate, or processed as new. The
interchanges that go on are recorded
(:class:`~gateway.store.models.InterchangeSeen`) for the files that follow. Canonical XML has no
interchange: it is a duplicate by its bytes alone. An operator's replay runs the message's own
interchanges again: only earlier messages count, so a replayed message is never a duplicate of
itself (its stored interchanges are stored again, idempotently, and stay counted as seen). Each
duplicate or suspect entry names the earlier interchange (``duplicate_of_interchange``: its place
in that message's file), so the console diffs the two interchanges, not the two files.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, delete, select

from gateway.common.text import escape_text
from gateway.edi.digest import interchange_digests
from gateway.service.pipeline import ahead
from gateway.service.pipeline.context import Context, Step
from gateway.store import leases, messages
from gateway.store.models import Direction, InterchangeSeen, Message, MessageState, utcnow


def dedupe(session: Session, message: Message, context: Context) -> Step | None:
    """Finish ``message`` as a duplicate when an earlier one carried the same; else go on.

    The lookups do not flush first: they read earlier messages only (never this one's changes,
    which are flushed once, later), so this message's row is not written once more for them."""
    with session.no_autoflush:
        original = earlier_duplicate(session, message)
        outcomes = _per_interchange(session, message, context) if original is None else []
    if original is None:
        if any(o["outcome"] == MessageState.SUSPECT_DUPLICATE.value for o in outcomes):
            _hold(session, message, context, outcomes)
            return None
        firsts = [o["duplicate_of"] for o in outcomes if o["outcome"] == "duplicate"]
        if not outcomes or len(firsts) < len(outcomes):
            return Step.ACKNOWLEDGE
        original = session.get(Message, firsts[0])
        assert original is not None
    message.duplicate_of_id = original.id
    message.completed_at = utcnow()
    leases.release(message)
    messages.move(
        session, message, MessageState.DUPLICATE, f"duplicate of message {original.id}", actor=context.actor
    )
    context.outcome = MessageState.DUPLICATE.value
    return None


def _hold(session: Session, message: Message, context: Context, outcomes: list[dict[str, Any]]) -> None:
    """Hold ``message`` for an operator: an interchange's identity was seen before with other bytes."""
    suspects = [o for o in outcomes if o["outcome"] == MessageState.SUSPECT_DUPLICATE.value]
    leases.release(message)
    note = "; ".join(
        f"interchange {o['interchange']} ({o['control']}) has the control number of message "
        f"{o['duplicate_of']} with other bytes"
        for o in suspects
    )
    messages.move(
        session, message, MessageState.SUSPECT_DUPLICATE, f"held for an operator: {note}", actor=context.actor
    )
    context.outcome = MessageState.SUSPECT_DUPLICATE.value


def earlier_duplicate(session: Session, message: Message) -> Message | None:
    """An earlier inbound message, not a failure, with the same bytes."""
    if ahead.no_earlier_bytes(session, message):  # a batch looked for all its messages at once
        return None
    return session.exec(
        select(Message)
        .where(
            Message.direction == Direction.IN.value,
            col(Message.id) < (message.id or 0),
            col(Message.state).not_in(messages.FAILURES),
            col(Message.sha256) == message.sha256,
        )
        .order_by(col(Message.id))
    ).first()


def _per_interchange(session: Session, message: Message, context: Context) -> list[dict[str, Any]]:
    """Each interchange's outcome so far (duplicates found); the others recorded as seen."""
    parsed, path = context.parsed, context.path
    if parsed is None or path is None or not parsed.interchanges:
        return []
    headers = [ic.header for ic in parsed.interchanges]
    offsets = [h.position.offset for h in headers]
    if any(o is None for o in offsets):
        return []
    digests = interchange_digests(path, [int(o or 0) for o in offsets])
    decided = {o["interchange"] for o in message.interchanges or [] if o.get("decision") == "new"}
    if message.interchanges:  # a run before got this far (its rows, if any, go; ours come next)
        session.exec(delete(InterchangeSeen).where(col(InterchangeSeen.message_id) == message.id))
    # else none can exist: only this function writes them, with ``message.interchanges``, in one transaction
    outcomes: list[dict[str, Any]] = []
    for place, (header, digest) in enumerate(zip(headers, digests, strict=True), start=1):
        identity = {
            "sender_id": escape_text(header.sender_id)[:35],
            "receiver_id": escape_text(header.receiver_id)[:35],
            "control": escape_text(header.control_number)[:35],
        }
        outcome: dict[str, Any] = {"interchange": place, **identity, "digest": digest}
        earlier = None if place in decided else _earlier(session, message, identity)
        if place in decided:
            outcome["decision"] = "new"
        if earlier is not None and earlier.digest != digest:
            outcome.update(outcome=MessageState.SUSPECT_DUPLICATE.value, duplicate_of=earlier.message_id)
            outcome.update(duplicate_of_interchange=earlier.position, same_bytes=False)
        elif earlier is not None:
            outcome.update(outcome="duplicate", duplicate_of=earlier.message_id, same_bytes=True)
            outcome["duplicate_of_interchange"] = earlier.position
            context.skip.add(header.index)
            note = (
                f"interchange {place} ({identity['control']}) is a duplicate of message {earlier.message_id}"
            )
            messages.note_event(session, message, note, actor=context.actor)
        else:
            outcome["outcome"] = "pending"
            session.add(
                InterchangeSeen(
                    message_id=message.id or 0,
                    position=place,
                    digest=digest,
                    sender_id=identity["sender_id"],
                    receiver_id=identity["receiver_id"],
                    control=identity["control"],
                )
            )
        outcomes.append(outcome)
    message.interchanges = outcomes
    session.add(message)
    return outcomes


def _earlier(session: Session, message: Message, identity: dict[str, str]) -> InterchangeSeen | None:
    """The first earlier interchange of this identity that counts as seen: one of a message that
    did not fail, or one whose documents were stored although its message failed (outcome
    ``stored``: another interchange of the file failed it)."""
    rows = session.exec(
        select(InterchangeSeen, Message.state, Message.interchanges)
        .join(Message, col(Message.id) == col(InterchangeSeen.message_id))
        .where(
            col(InterchangeSeen.message_id) < (message.id or 0),
            col(InterchangeSeen.sender_id) == identity["sender_id"],
            col(InterchangeSeen.receiver_id) == identity["receiver_id"],
            col(InterchangeSeen.control) == identity["control"],
        )
        .order_by(col(InterchangeSeen.message_id))
    ).all()
    for seen, state, entries in rows:
        if state not in messages.FAILURES or stored_in(entries, seen.position):
            return seen
    return None


def stored_in(entries: Sequence[dict[str, Any]] | None, place: int) -> bool:
    """Whether the interchange at ``place`` of a message's outcomes ended ``stored``."""
    return any(e.get("interchange") == place and e.get("outcome") == "stored" for e in entries or [])
