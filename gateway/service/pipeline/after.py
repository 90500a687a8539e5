"""After the store stage: the service's hooks over the stored documents, then done (or failed).

:func:`run_hooks` runs the hooks the service lists (:data:`gateway.service.hooks.STORED_HOOKS`:
reconciliation, then invoicing) over documents just stored, in their transaction, each in a
savepoint: the store stage calls it for each batch, :func:`after_stored` (the hooks step) for
what ``context.stored`` names. A hook that raises is rolled back and written on the timeline,
and the message goes on. A database that is unavailable
(:class:`~sqlalchemy.exc.OperationalError`) is re-raised: the batch is not committed, and
recovery runs the message again from its checkpoint (every stage and hook is idempotent, so the
work is done once). A crash here leaves the same state.

:func:`finish` ends the message: ``failed`` with every envelope error and translation problem
listed, or ``done``; either way each interchange's final outcome is written
(:func:`~gateway.service.pipeline.outcomes.settle`: by ``finish`` when done, by the run's failure
record when failed, in the transaction that records it).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from gateway.service.errors import StageError
from gateway.service.hooks import runs_on
from gateway.service.pipeline import ahead, checkpoint, outcomes
from gateway.service.pipeline.context import Context, Step, where
from gateway.service.pipeline.corrections import settle_corrected
from gateway.store import leases, messages
from gateway.store.models import Direction, Document, Message, MessageState, utcnow

log = logging.getLogger(__name__)


def after_stored(session: Session, message: Message, context: Context) -> Step | None:
    """Run each hook over the stored documents (in order, each in a savepoint)."""
    if context.stored:
        rows = [row for row in (session.get(Document, i) for i in context.stored) if row is not None]
        run_hooks(session, message, context, rows)
    return Step.FINISH


def run_hooks(session: Session, message: Message, context: Context, rows: Sequence[Document]) -> None:
    """Each of ``context.hooks`` over ``rows`` in a savepoint: a failure is noted and rolled back.
    Unless ``context.isolate_hooks`` is off: then they run in the caller's savepoint, and a failure
    raises (the caller rolls the whole run back and runs it again isolated). A hook that acts on
    none of the rows' document types is skipped (:func:`~gateway.service.hooks.runs_on`)."""
    hooks = [hook for hook in context.hooks if runs_on(hook, rows)]
    if not context.isolate_hooks:
        for hook in hooks:
            for note in hook.run(session, context.runtime, rows):
                messages.note_event(session, message, note)
        return
    for hook in hooks:
        try:
            with session.begin_nested():
                notes = hook.run(session, context.runtime, rows)
        except OperationalError:
            raise
        except Exception as exc:  # reported; the documents stay stored and the work can be redone
            log.exception("%s after message %s failed", hook.name, message.id)
            messages.note_event(session, message, f"{hook.name} failed: {type(exc).__name__}: {exc}")
            continue
        for note in notes:
            messages.note_event(session, message, note)


def finish(session: Session, message: Message, context: Context) -> Step | None:
    """``done``; or raise one :class:`StageError` listing every envelope error and problem."""
    parsed = context.parsed
    envelope = [
        StageError(issue.code, f"{context.filename}: {issue}", where(issue.position))
        for issue in (parsed.errors if parsed is not None else [])
    ]
    failures = envelope + context.problems
    if failures:
        first = failures[0]
        text = first.message if len(failures) == 1 else "\n".join(f.message for f in failures)
        raise StageError(first.code, text, first.position, stage=first.stage)
    outcomes.settle(session, message, context)
    message.completed_at = utcnow()
    checkpoint.forget(message)
    leases.release(message)
    messages.move(session, message, MessageState.DONE, "done", actor=context.actor)
    if message.direction == Direction.IN.value and not ahead.nothing_to_correct(session, message):
        with session.no_autoflush:  # it reads earlier messages only: this one's row is written once
            settle_corrected(session, message, context.actor)
    context.outcome = MessageState.DONE.value
    return None
