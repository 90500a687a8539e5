"""A corrected copy dropped in the inbox settles the failure it corrects.

An operator can upload a corrected file in the console (:func:`gateway.service.pipeline.resolve.
correct`); a partner (or an operator) may instead just send the file again, corrected. A failed
message does not count as delivered (:mod:`~gateway.service.pipeline.dedupe`), so the copy is
processed; when it ends ``done``, :func:`settle_corrected` looks for earlier *failed* inbound
messages of the same partner that carried one of its stored interchanges (same sender, receiver
and control number: ISA06/ISA08/ISA13, UNB2/UNB3/UNB5). Such a message is corrected when every
interchange of it that did not end ``stored`` or ``duplicate`` has since been stored by a message
that is ``done``: it moves to ``resolved``, the copy names it as what it corrects
(``corrects_id``), and the audit log says so. Without that, the original stayed counted as a
failure needing action after the partner had fixed it; a mailbag of which only the failed
interchange is sent again is corrected too.

Only the same interchange identity is taken as proof: a copy with a new control number is a new
interchange, and its failed predecessor is left to the operator (upload, resolve or ignore).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from gateway.store import messages
from gateway.store.models import Direction, InterchangeSeen, Message, MessageState

log = logging.getLogger(__name__)

Identity = tuple[str, str, str]
Seen = tuple[InterchangeSeen, Message]
#: interchange outcomes that need nothing more
_SETTLED = ("stored", "duplicate")


def _identity(entry: dict[str, Any]) -> Identity:
    return (str(entry.get("sender_id", "")), str(entry.get("receiver_id", "")), str(entry.get("control", "")))


def settle_corrected(session: Session, message: Message, actor: str) -> list[int]:
    """Resolve the earlier failed messages ``message`` (just ``done``) completes; their ids."""
    if message.corrects_id is not None or message.id is None:
        return []
    mine = {_identity(e) for e in message.interchanges or [] if e.get("outcome") == "stored"}
    if not mine:
        return []
    settled: list[int] = []
    for original in _candidates(session, message, mine):
        assert original.id is not None
        still_open = {_identity(e) for e in original.interchanges or [] if e.get("outcome") not in _SETTLED}
        if not still_open or not still_open <= mine | _stored_by_done(session, still_open - mine):
            continue
        why = f"corrected by message {message.id}: its interchanges came again and were processed"
        messages.move(
            session, original, MessageState.RESOLVED, why, actor=actor, detail={"corrected_by": message.id}
        )
        messages.audit(
            session,
            actor,
            "correct",
            original.id,
            why,
            {"correction_id": message.id, "filename": message.filename, "error": original.error_message},
        )
        settled.append(original.id)
    if settled:
        message.corrects_id = settled[0]
        session.add(message)
        listed = ", ".join(map(str, settled))
        messages.note_event(session, message, f"corrects failed message(s) {listed}", actor=actor)
        log.info("message %s corrects failed message(s) %s", message.id, listed)
    return settled


def _seen(
    session: Session, identities: Iterable[Identity], *states: str
) -> list[tuple[InterchangeSeen, Message]]:
    """The interchanges seen with one of ``identities`` in messages of ``states`` (the identity
    index narrows by sender, receiver and control; the exact triple is checked here)."""
    wanted = set(identities)
    if not wanted:
        return []
    rows = session.exec(
        select(InterchangeSeen, Message)
        .join(Message, col(Message.id) == col(InterchangeSeen.message_id))
        .where(
            col(InterchangeSeen.sender_id).in_({i[0] for i in wanted}),
            col(InterchangeSeen.receiver_id).in_({i[1] for i in wanted}),
            col(InterchangeSeen.control).in_({i[2] for i in wanted}),
            col(Message.state).in_(states),
            col(Message.direction) == Direction.IN.value,
        )
    ).all()
    return [(seen, m) for seen, m in rows if (seen.sender_id, seen.receiver_id, seen.control) in wanted]


def _candidates(session: Session, message: Message, mine: set[Identity]) -> list[Message]:
    """Earlier failed messages of ``message``'s partner that carried one of ``mine``."""
    found: dict[int, Message] = {}
    for _seen_row, earlier in _seen(session, mine, MessageState.FAILED.value):
        if earlier.id is not None and earlier.id < (message.id or 0) and earlier.partner == message.partner:
            found[earlier.id] = earlier
    return [found[i] for i in sorted(found)]


def _stored_by_done(session: Session, identities: set[Identity]) -> set[Identity]:
    """Which of ``identities`` a ``done`` message stored."""
    done = _seen(session, identities, MessageState.DONE.value)
    return {(s.sender_id, s.receiver_id, s.control) for s, _m in done}
