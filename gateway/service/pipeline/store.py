"""The store stage: the documents by business key, and the acknowledgements applied, a batch at a time.

One call translates the next :data:`BATCH` transactions of the file, fewer when they reach
:data:`~gateway.service.pipeline.translate.SEGMENTS` segments (the translate stage opened them as a
stream), stores their documents in bulk and applies the acknowledgements; the next
runs the service's hooks over that batch (:func:`~gateway.service.pipeline.after.run_hooks`) and
moves the message's checkpoint past it. Each returns :data:`Step.STORE` while there is more,
which commits before the next call (the contract of :mod:`~gateway.service.pipeline.run`): memory
holds one batch, a hook never runs inside the transaction that wrote the documents (a slow hook
holds no write lock), and a crash resumes after the last checkpoint (the batch stored again
changes nothing, its hooks run once more: both are idempotent).

Storing is idempotent (partner + type + business key): a second run after a crash or a replay
replaces what the earlier one produced instead of duplicating it. A 997/CONTRL marks the message
it answers acknowledged or rejected (and, through the service's acknowledgement hook, the
invoice it carried). A message that stored or applied anything is then ``translated`` until it is
``done``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm.attributes import flag_modified, set_committed_value
from sqlmodel import Session, col, select

from gateway.canonical import CanonicalDocument
from gateway.edi.model import AckResult
from gateway.outbound.acks import apply_acknowledgement
from gateway.service.hooks import on_acknowledged
from gateway.service.pipeline import checkpoint
from gateway.service.pipeline.after import run_hooks
from gateway.service.pipeline.context import Context, Step
from gateway.service.pipeline.translate import next_batch
from gateway.store import messages
from gateway.store.documents import Stored, remember_document, save_documents
from gateway.store.models import Document, Message, MessageState

#: transactions a batch at most: a commit each (200: the same speed as 500 on a 20,000-PO
#: interchange); the segment budget of the translate stage ends a batch of large ones sooner
#: (``translate.SEGMENTS``: what memory holds follows their size; docs/performance.md)
BATCH = 200
#: a batch of at most this many documents notes each on the timeline, a larger one sums them up
NOTE_EACH = 20


def store(session: Session, message: Message, context: Context) -> Step | None:
    """Store the next batch, or run the hooks the last one owes; :data:`Step.STORE` while more remain."""
    if context.owed:
        return _run_owed_hooks(session, message, context)
    if context.stream is not None:
        batch = next_batch(context, BATCH)
        documents, acks, end = batch.documents, batch.acks, batch.end
    else:
        documents, acks, end = context.documents, context.acks, True
    with session.no_autoflush:  # the keys' lookup needs none of this message's changes flushed
        saved = _save(session, message, context, documents)
    _apply(session, message, context, acks)
    if (saved or acks) and message.state != MessageState.TRANSLATED.value:
        note = f"{context.stored_count} document(s) stored" + ("" if end else " so far")
        messages.move(session, message, MessageState.TRANSLATED, note, actor=context.actor)
    context.at_end = end
    if saved:  # committed first; the hooks follow in the next transaction, then the checkpoint
        context.owed = [s.id for s in saved]
        context.owed_rows = {s.id: s.row for s in saved if s.row is not None}
        context.owed_documents = {
            s.id: doc for s, doc in zip(saved, documents, strict=True) if s.outcome != "older"
        }
        return Step.STORE
    checkpoint.write(message, context)
    session.add(message)
    return Step.FINISH if end else Step.STORE


def _run_owed_hooks(session: Session, message: Message, context: Context) -> Step | None:
    """The hooks over the batch stored last, and the checkpoint past it, in one transaction.
    The rows stored are the ones held when they are still in this session (a batch's, or a lone
    run's own transaction), else read again (a lone run's commit in between expired them)."""
    found = {i: row for i, row in context.owed_rows.items() if row in session and not _expired(row)}
    missing = [i for i in context.owed if i not in found]
    if missing:
        found.update(
            (int(row.id or 0), row)
            for row in session.exec(select(Document).where(col(Document.id).in_(missing)))
        )
    for i, doc in context.owed_documents.items():
        if i in found:
            remember_document(found[i], doc)
    rows = [found[i] for i in context.owed if i in found]
    if context.isolate_hooks:
        run_hooks(session, message, context, rows)
    else:  # a batch's first try: the message is written once, when its savepoint ends
        with _held_back(message):
            run_hooks(session, message, context, rows)
    context.owed, context.owed_documents, context.owed_rows = [], {}, {}
    checkpoint.write(message, context)
    session.add(message)
    return Step.FINISH if context.at_end else Step.STORE


@contextmanager
def _held_back(message: Message) -> Iterator[None]:
    """Hold ``message``'s unwritten changes back from the hooks' flushes, and give them back after.

    In a batch's first try the stages and hooks of a message run in one savepoint, and the flush
    that releases it writes the message anyway (``done``); the hooks' first query would write it
    once more before (its parse, its ``translated``: an ``UPDATE messages`` a message). The
    changed columns are marked unchanged for the hooks' duration (the row in memory is current,
    nothing of it is lost: no hook expires or reads it from the database, and a hook that changes
    it is written as usual) and marked changed again after, even when a hook raised, so the
    savepoint's flush writes them all, or its rollback expires the row as before.
    """
    state = sa_inspect(message)
    changed = [key for key in state.committed_state if key in state.dict]
    for key in changed:
        set_committed_value(message, key, state.dict[key])
    try:
        yield
    finally:
        for key in changed:
            if key in state.dict:
                flag_modified(message, key)


def _expired(row: Document) -> bool:
    """Whether ``row``'s columns were expired (a commit): using it would read it again, one by one."""
    return bool(sa_inspect(row).expired_attributes)


def _save(
    session: Session, message: Message, context: Context, documents: list[CanonicalDocument]
) -> list[Stored]:
    if not documents:
        return []
    # the rows held when the hooks run in this session (a batch's first try), else read again after the commit
    saved = save_documents(
        session, context.partner.name, documents, context.message_id, rows=not context.isolate_hooks
    )
    context.stored_count += len(saved)
    context.stored.extend(s.id for s in saved)
    if len(saved) <= NOTE_EACH:
        for s in saved:
            note = f"{s.outcome} {s.type} {s.business_key}"
            messages.note_event(session, message, note, actor=context.actor)
    else:
        outcomes = Counter(s.outcome for s in saved)
        first, last = saved[0], saved[-1]
        kinds = "/".join(sorted({s.type for s in saved}))
        note = f"{len(saved)} {kinds} stored ({first.business_key} ... {last.business_key}): " + ", ".join(
            f"{n} {outcome}" for outcome, n in sorted(outcomes.items())
        )
        messages.note_event(session, message, note, actor=context.actor)
    return saved


def _apply(session: Session, message: Message, context: Context, acks: list[AckResult]) -> None:
    for result in acks:
        target = apply_acknowledgement(session, context.partner.name, result, context.message_id)
        note = (
            f"acknowledges message {target.id}: {result.status}" if target else "acknowledges nothing we sent"
        )
        messages.note_event(session, message, note, actor=context.actor)
        if target is not None:
            on_acknowledged(session, context.runtime, target, result)
