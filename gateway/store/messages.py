"""The message state machine: the only writer of ``Message.state`` and of the message timeline.

Rule 1 (as in h11's ``_state.py``): every move a message may make is in :data:`TRANSITIONS`, one
table, read top to bottom like the flow in DESIGN.md. :func:`move` is the one function that
changes ``Message.state``; it checks the table, stamps ``updated_at`` and writes the
:class:`MessageEvent` (state reached, actor, note) in the caller's transaction: the events a
transaction notes are written when it commits (or a savepoint of it is released), all in one
``INSERT``, and a rollback takes those noted inside it along. A move the table
does not list raises :class:`IllegalTransition`, so a bug shows where it happens instead of
leaving a message in a state nothing expects.

Every text these functions write (notes, details, error texts) is escaped first
(:mod:`gateway.common.text`), so bytes that are not UTF-8 are stored as readable ``\\xff``.

Rule 2: a step that does not change the state (an acknowledgement queued, a retry planned, a
hook that failed) is still on the timeline: :func:`note`. :func:`add` puts a new message in its
first state (``received`` or ``queued``) with its first event; :func:`fail` records a failure
(stage, code, message, position) and moves to ``failed``.

Inbound:  received -> parsed -> duplicate | translated -> done, any unfinished -> failed;
          parsed -> suspect_duplicate (same control number, other bytes) -> duplicate | received;
          a crash or a replay starts again (unfinished -> parsed, anything -> received).
Outbound: queued -> sending -> sent -> acknowledged | rejected, queued | sending | sent -> failed;
          ``sending`` is committed before the transport is touched (a crash or a failed try leaves
          it there, and the next try asks the mailbox whether it arrived); resend: anything ->
          queued; a late acknowledgement may answer any outbound state; re-checked at send:
          queued | sending -> blocked -> queued | cancelled; superseded: queued -> cancelled.
Settled:  failed -> resolved | ignored (an operator's reason; a corrected file resolves its
          original); a replay or resend starts it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import insert
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction, make_transient, make_transient_to_detached
from sqlmodel import Session

from gateway.common.text import escape_text, escape_value
from gateway.store.models import AuditEntry, Message, MessageEvent, MessageState, utcnow

S = MessageState
MESSAGES = Message.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Event:
    """A timeline entry noted in a transaction: the columns of its :class:`MessageEvent` row, which
    the transaction's commit writes (a plain value, not an ORM object: nothing reads these rows
    back before the commit, and a SQLModel row a note cost as much as the rest of the note)."""

    message_id: int
    at: datetime
    state: str
    actor: str | None
    note: str | None
    detail: dict[str, Any] | None


#: from-state -> the states it may move to
TRANSITIONS: dict[MessageState, frozenset[MessageState]] = {
    S.RECEIVED: frozenset({S.RECEIVED, S.PARSED, S.FAILED}),
    S.PARSED: frozenset(
        {S.RECEIVED, S.PARSED, S.DUPLICATE, S.SUSPECT_DUPLICATE, S.TRANSLATED, S.DONE, S.FAILED}
    ),
    # held for an operator: filed as a duplicate, or processed as new (received again)
    S.SUSPECT_DUPLICATE: frozenset({S.DUPLICATE, S.RECEIVED}),
    S.TRANSLATED: frozenset({S.RECEIVED, S.PARSED, S.DONE, S.FAILED}),
    S.DUPLICATE: frozenset({S.RECEIVED}),
    S.DONE: frozenset({S.RECEIVED}),
    # failed is both an inbound and an outbound end: replay (received) or resend (queued)
    S.FAILED: frozenset({S.RECEIVED, S.QUEUED, S.ACKNOWLEDGED, S.REJECTED, S.RESOLVED, S.IGNORED}),
    S.QUEUED: frozenset(
        {S.QUEUED, S.SENDING, S.SENT, S.FAILED, S.ACKNOWLEDGED, S.REJECTED, S.BLOCKED, S.CANCELLED}
    ),
    S.SENDING: frozenset(
        {S.SENDING, S.QUEUED, S.SENT, S.FAILED, S.ACKNOWLEDGED, S.REJECTED, S.BLOCKED, S.CANCELLED}
    ),
    S.SENT: frozenset({S.QUEUED, S.FAILED, S.ACKNOWLEDGED, S.REJECTED}),
    S.ACKNOWLEDGED: frozenset({S.QUEUED, S.ACKNOWLEDGED, S.REJECTED}),
    S.REJECTED: frozenset({S.QUEUED, S.ACKNOWLEDGED, S.REJECTED}),
    # a failure settled by an operator (resolve / ignore, a corrected file); a replay reopens it
    S.RESOLVED: frozenset({S.RECEIVED, S.QUEUED}),
    S.IGNORED: frozenset({S.RECEIVED, S.QUEUED}),
    # held at send (its document would now break a rule): re-queued once it passes, or cancelled
    S.BLOCKED: frozenset({S.QUEUED, S.CANCELLED}),
    S.CANCELLED: frozenset(),
}
#: the states a message is created in
FIRST_STATES = frozenset({S.RECEIVED, S.QUEUED})
#: a failure, open or settled by an operator: such a message delivered nothing (dedupe ignores it)
FAILURES: tuple[str, ...] = tuple(s.value for s in (S.FAILED, S.RESOLVED, S.IGNORED))
#: inbound states a crash may leave a message in (recovery takes them up)
UNFINISHED: tuple[str, ...] = tuple(s.value for s in (S.RECEIVED, S.PARSED, S.TRANSLATED))


class IllegalTransition(RuntimeError):
    """A move :data:`TRANSITIONS` does not allow (a bug in the caller, never bad input)."""


def can_move(current: str, to: MessageState) -> bool:
    """Whether a message in ``current`` may move to ``to``."""
    return to in TRANSITIONS.get(MessageState(current), frozenset())


def move(
    session: Session,
    message: Message,
    to: MessageState,
    note: str,
    *,
    actor: str = "gateway",
    detail: dict[str, Any] | None = None,
) -> Event:
    """Move ``message`` to ``to`` and write the event; the caller commits.

    Raises :class:`IllegalTransition` when the table does not allow the move.
    """
    if not can_move(message.state, to):
        raise IllegalTransition(f"message {message.id}: {message.state} -> {to.value} is not allowed")
    message.state = to.value
    message.updated_at = utcnow()
    session.add(message)
    return note_event(session, message, note, actor=actor, detail=detail)


def note_event(
    session: Session,
    message: Message,
    note: str,
    *,
    actor: str = "gateway",
    detail: dict[str, Any] | None = None,
) -> Event:
    """Write a timeline entry in the message's current state (no move); the caller commits."""
    if message.id is None:
        session.add(message)
        session.flush()
    event = Event(
        int(message.id or 0), utcnow(), message.state, actor, escape_text(note, multiline=True),
        escape_value(detail) or None,
    )  # fmt: skip
    transaction = session.get_nested_transaction() or session.get_transaction() or session.begin()
    session.info.setdefault(_PENDING, []).append((transaction, event))
    return event


#: ``session.info`` key: the events noted in the session's transaction, written when it commits
_PENDING = "acorn.pending_events"
#: ``session.info`` key: set by a caller whose savepoints are all closed before its commit (a
#: batch): the events of a released savepoint then wait for the transaction's commit
HOLD_EVENTS = "acorn.hold_events"
_EVENT_COLUMNS = ("message_id", "at", "state", "actor", "note", "detail")
#: built once: the same statement object each commit (SQLAlchemy's compiled cache hits at once)
_INSERT_EVENTS = insert(MessageEvent.__table__)  # type: ignore[attr-defined]


def hold_events(session: Session) -> None:
    """Write the session's events once, at its commit, not at each savepoint released (the caller
    closes every savepoint before committing, as ``with session.begin_nested()`` does)."""
    session.info[HOLD_EVENTS] = True


@sa_event.listens_for(OrmSession, "before_commit")
def _write_pending(session: OrmSession) -> None:
    """A transaction or savepoint commits: the events noted so far go in with it, in the order they
    were noted (one ``INSERT`` of many rows, not one a flush)."""
    if session.in_nested_transaction() and session.info.get(HOLD_EVENTS):
        return
    pending = session.info.pop(_PENDING, None)
    if pending:  # Core, not the unit of work: nothing reads these rows back in this transaction
        rows = [{c: getattr(event, c) for c in _EVENT_COLUMNS} for _transaction, event in pending]
        session.execute(_INSERT_EVENTS, rows)


@sa_event.listens_for(OrmSession, "after_soft_rollback")
def _drop_rolled_back(session: OrmSession, previous: SessionTransaction) -> None:
    """A rollback (a savepoint's or the transaction's) takes the events noted inside it along."""
    pending = session.info.get(_PENDING)
    if pending:
        session.info[_PENDING] = [(t, e) for t, e in pending if not _within(t, previous)]
    inserted = session.info.get(_INSERTED)
    if inserted:
        kept = []
        for t, message in inserted:
            if not _within(t, previous):
                kept.append((t, message))
            elif (
                message in session
            ):  # its row is gone: transient again, as the ORM leaves a rolled-back insert
                session.expunge(message)
                make_transient(message)
        session.info[_INSERTED] = kept


@sa_event.listens_for(OrmSession, "after_transaction_end")
def _forget_ended(session: OrmSession, transaction: SessionTransaction) -> None:
    """A transaction that ends without committing its events (the session closed) forgets them."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(HOLD_EVENTS, None)
        session.info.pop(_INSERTED, None)


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


def add(
    session: Session, message: Message, state: MessageState, note: str, *, actor: str = "gateway"
) -> Message:
    """Add a new ``message`` in its first ``state`` with its first event; flushed (it has an id)."""
    if state not in FIRST_STATES:
        raise IllegalTransition(f"a message cannot start as {state.value}")
    message.state = state.value
    if message in session or message.id is not None:  # already the session's: the ORM writes it
        session.add(message)
        session.flush()
    else:
        _insert(session, message)
    note_event(session, message, note, actor=actor)
    return message


#: the message table's columns; those whose ``None`` is written (JSON: ``null``) as the ORM does
_MESSAGE_COLUMNS = tuple(c.key for c in MESSAGES.c if c.key != "id")
_NONE_WRITTEN = frozenset(c.key for c in MESSAGES.c if c.type.should_evaluate_none)
_INSERT_MESSAGE = insert(MESSAGES).returning(MESSAGES.c.id)
#: ``session.info`` key: the messages :func:`_insert` attached, with the transaction that wrote them
_INSERTED = "acorn.inserted_messages"


def _insert(session: Session, message: Message) -> None:
    """Insert the new ``message`` by one Core ``INSERT ... RETURNING id`` and attach it to the
    session as a persistent row: what a flush does, without flushing the session's other changes
    (the inbound message a 997 answers is written once, later, with the rest of its changes).
    The values are the ones the ORM would insert (a ``None`` left out, so a column's default
    applies, but a JSON column's, which the ORM writes as ``null``). A rollback of the
    transaction that wrote it detaches it again (:func:`_drop_rolled_back`), as the ORM does a
    row it inserted."""
    state = message.__dict__
    values = {
        c: state[c] for c in _MESSAGE_COLUMNS if c in state and (state[c] is not None or c in _NONE_WRITTEN)
    }
    with session.no_autoflush:  # this row alone
        message.id = int(session.execute(_INSERT_MESSAGE, values).scalar_one())
    make_transient_to_detached(message)
    session.add(message)
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_INSERTED, []).append((transaction, message))


def add_all(
    session: Session, rows: Sequence[Message], state: MessageState, notes: Sequence[tuple[str, str]]
) -> None:
    """:func:`add` for several new messages, each with its first event (``notes``: note and actor,
    one a row, in order): one ``INSERT ... RETURNING`` for the rows with a receipt key (the ids
    matched back by that key; the ORM inserts such rows one by one on SQLite, which cannot give
    them back in order), the others as :func:`add` does. The rows stay out of the session."""
    if state not in FIRST_STATES:
        raise IllegalTransition(f"a message cannot start as {state.value}")
    keyed = {row.receipt_key: row for row in rows if row.receipt_key is not None}
    if len(keyed) > 1:
        table = Message.__table__  # type: ignore[attr-defined]
        values = [{**row.model_dump(exclude={"id"}), "state": state.value} for row in keyed.values()]
        returned = session.execute(insert(table).returning(table.c.id, table.c.receipt_key), values)
        for message_id, key in returned:
            keyed[key].id, keyed[key].state = int(message_id), state.value
    for row in rows:
        if row.id is None:
            row.state = state.value
            session.add(row)
            session.flush()
    for row, (note, actor) in zip(rows, notes, strict=True):
        note_event(session, row, note, actor=actor)


def fail(
    session: Session,
    message: Message,
    stage: str,
    code: str,
    text: str,
    position: dict[str, Any] | None = None,
    *,
    actor: str = "gateway",
    note: str | None = None,
) -> Event:
    """Record why ``message`` failed (stage, code, message, position) and move it to ``failed``."""
    record_error(message, stage, code, text, position)
    return move(
        session, message, S.FAILED, note or f"{stage} failed: {text}", actor=actor, detail={"code": code}
    )


def record_error(
    message: Message, stage: str, code: str, text: str, position: dict[str, Any] | None = None
) -> None:
    """Keep the last failure on the message without moving it (a send that will be retried).

    The text and position are escaped here (:func:`~gateway.common.text.escape_text`), the one
    place error fields are written: a partner's byte that is not UTF-8 (a GS08 of ``0xFF``) quoted
    in an error can never make the row unwritable and so block the mailbox behind it."""
    message.error_stage, message.error_code = stage, code
    message.error_message = escape_text(text, multiline=True)
    message.error_position = escape_value(position)


def clear_error(message: Message) -> None:
    """Forget the last failure (a replay, a resend or a successful parse)."""
    message.error_stage = message.error_code = message.error_message = None
    message.error_position = None


def audit(
    session: Session, actor: str, action: str, message_id: int, reason: str, detail: dict[str, Any]
) -> None:
    """The audit entry of an action on message ``message_id`` (replay, resend, correct, settle...):
    who, what, why. The caller commits, with the state change it records."""
    session.add(
        AuditEntry(
            actor=actor,
            action=action,
            target_type="message",
            target_id=str(message_id),
            reason=reason,
            detail=detail,
        )
    )
