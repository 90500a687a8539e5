"""What a batch looks up once for all its messages, so most of them need no lookup of their own.

Two questions each message of a batch asks of the messages before it: is there an earlier one
with the same bytes (:func:`~gateway.service.pipeline.dedupe.earlier_duplicate`), and could it
correct an earlier failure of its partner
(:func:`~gateway.service.pipeline.corrections.settle_corrected`)? :func:`look_ahead` answers
the first for the whole batch with one ``SELECT`` (the digests of its messages) and the second
with another (the partners with a failed inbound message), in the batch's transaction, right
after its claim. A message whose answer is "none" skips its own lookup; any other asks as a lone
run does, so a duplicate or a correction is decided by the same query as before. A failure the
batch records adds its partner (:func:`note_failed`): a later message of the batch may correct it.

On SQLite the batch holds the writer lock from its claim on: nothing changes under it, and the
answers are exactly what each message's own query would find. On PostgreSQL another worker's
commit during the batch is seen by a lone run's later lookup but not here: the same race as a
commit just after a message's own lookup, moved to the batch's start.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from gateway.store import messages
from gateway.store.models import Direction, Message, MessageState

#: ``session.info`` key: the batch's :class:`Ahead` (none in a lone run's session)
_AHEAD = "acorn.pipeline.ahead"


@dataclass(slots=True)
class Ahead:
    """What :func:`look_ahead` found."""

    #: each digest of the batch -> the ids of inbound messages with it that had not failed
    digests: dict[str, list[int]] = field(default_factory=dict)
    #: partners with a failed inbound message (the batch's own failures added as they happen)
    failed_partners: set[str | None] = field(default_factory=set)


def look_ahead(session: Session, rows: Sequence[Message]) -> None:
    """Look up, for every message of the batch at once, what :data:`Ahead` holds."""
    ahead = Ahead()
    wanted = sorted({row.sha256 for row in rows})
    if wanted:
        found = session.exec(
            select(Message.id, Message.sha256).where(
                col(Message.direction) == Direction.IN.value,
                col(Message.sha256).in_(wanted),
                col(Message.state).not_in(messages.FAILURES),
            )
        ).all()
        for message_id, sha256 in found:
            ahead.digests.setdefault(sha256, []).append(int(message_id or 0))
    ahead.failed_partners = set(
        session.exec(
            select(Message.partner)
            .where(
                col(Message.state) == MessageState.FAILED.value, col(Message.direction) == Direction.IN.value
            )
            .distinct()
        ).all()
    )
    session.info[_AHEAD] = ahead


def no_earlier_bytes(session: Session, message: Message) -> bool:
    """The batch knows no earlier inbound message with ``message``'s bytes that had not failed."""
    ahead = session.info.get(_AHEAD)
    if ahead is None:
        return False
    return not any(i < (message.id or 0) for i in ahead.digests.get(message.sha256, ()))


def nothing_to_correct(session: Session, message: Message) -> bool:
    """The batch knows no failed inbound message of ``message``'s partner (nothing it could correct)."""
    ahead = session.info.get(_AHEAD)
    return ahead is not None and message.partner not in ahead.failed_partners


def note_failed(session: Session, message: Message) -> None:
    """``message`` failed in this batch: a later message of the batch may correct it."""
    ahead = session.info.get(_AHEAD)
    if ahead is not None:
        ahead.failed_partners.add(message.partner)
