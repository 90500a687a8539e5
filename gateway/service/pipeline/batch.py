"""Small received messages processed together: one transaction a batch, a savepoint a message.

A message run alone (:func:`~gateway.service.pipeline.run.process`) costs a claim, a lease renewal
before each commit and three commits (each an fsync on SQLite). Most inbound files are small
(an 850, an 856, a 997), so :func:`process_batch` takes up to :data:`BATCH` received messages of at
most :data:`SMALL` bytes and runs them all in **one** transaction:

- the claim is the first statement of that transaction (one ``UPDATE ... WHERE id IN (SELECT ...
  LIMIT n [FOR UPDATE SKIP LOCKED]) RETURNING id``) and the rows are loaded once, in one
  ``SELECT``. The lease is written in the transaction that does the work, so it needs no renewal:
  on PostgreSQL the rows stay locked until the commit (another worker skips them, and a claim of
  its own waits and then finds them no longer ``received``); SQLite has one writer.
- each message runs all its stages and hooks in **one** savepoint: its state changes flushed
  once, one ``SAVEPOINT`` and one ``RELEASE`` a message. A message that fails (a
  :class:`StageError`, a hook that raises, a bug) has that savepoint rolled back, so nothing of it
  is left, and is run again *carefully*: a savepoint where a lone run would commit (the partner
  known, the 997/CONTRL queued, each stored batch) and one a hook, so a :class:`StageError` rolls
  back only its current savepoint and a failing hook only its own work, exactly as a lone run
  (the stages and hooks are idempotent; the failure is recorded beside its neighbours' work).
- what each message asks of the ones before it (the same bytes received before? a failure of its
  partner it may correct?) is looked up once for the batch (:mod:`~gateway.service.pipeline.ahead`).
- one commit at the end. A crash before it leaves every message of the batch ``received`` (its
  lease was never committed): recovery or any worker takes them up again, nothing is half done.
- a database that is unavailable or busy (:class:`OperationalError`) rolls the batch back, and its
  messages are run one by one by :func:`~gateway.service.pipeline.run.process`, which retries a
  busy SQLite at once and otherwise leaves each to the periodic retry.

Large messages (more than :data:`SMALL` bytes) keep their own run: the store stage commits each
batch of documents there, so a large file never holds one long write transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence

from sqlalchemy import or_, update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from gateway.service.errors import StageCode, StageError
from gateway.service.hooks import STORED_HOOKS, Hook
from gateway.service.pipeline import ahead
from gateway.service.pipeline.context import Context, ProcessSummary, Step
from gateway.service.pipeline.run import COMMIT_BEFORE, LEASE, STAGES, process, record_failure
from gateway.service.runtime import Runtime
from gateway.store import messages, session_scope
from gateway.store.models import Direction, Message, MessageState, utcnow

log = logging.getLogger(__name__)

#: messages a batch: one transaction, one commit
BATCH = 25
#: a message of at most this many bytes is processed in a batch; a larger one alone
SMALL = 256 * 1024


def process_batch(
    runtime: Runtime,
    among: Collection[int] | None = None,
    limit: int = BATCH,
    *,
    actor: str = "gateway",
    hooks: Sequence[Hook] = STORED_HOOKS,
) -> list[ProcessSummary]:
    """Claim up to ``limit`` small received messages (only ``among`` these ids when given) and
    process them in one transaction, a savepoint a message; one summary each, in id order.
    An empty list: there was none to take."""
    if among is not None and not among:
        return []
    runtime.refresh()  # today's partner profiles and mappings, read once for the batch
    claimed: list[int] = []
    try:
        with session_scope(runtime.engine) as session:
            messages.hold_events(session)  # every event of the batch in one INSERT, at its commit
            rows = _claim(session, runtime, among, limit)
            claimed = [int(row.id or 0) for row in rows]
            if rows:  # what every message would ask of the ones before it, asked once
                ahead.look_ahead(session, rows)
            # the batch's 997s archived with each folder fsynced once, before the commit
            with runtime.archive.deferred_sync():
                summaries = [
                    _run_one(session, row, Context(runtime, int(row.id or 0), actor, hooks)) for row in rows
                ]
    except OperationalError as exc:  # rolled back: nothing of the batch is committed, its lease neither
        if not claimed:
            log.warning("no batch claimed (database unavailable): %s", exc.orig)
            return []
        log.info("a batch of %d message(s) met the database busy; one by one: %s", len(claimed), exc.orig)
        return [process(runtime, message_id, actor=actor, hooks=hooks) for message_id in claimed]
    for summary in summaries:
        log.info("processed message %s: %s", summary.message_id, summary.state)
    return summaries


def _claim(session: Session, runtime: Runtime, among: Collection[int] | None, limit: int) -> list[Message]:
    """Lease up to ``limit`` free small received messages to this holder, in this transaction."""
    now = utcnow()
    candidates = (
        select(Message.id)
        .where(
            col(Message.direction) == Direction.IN.value,
            col(Message.state) == MessageState.RECEIVED.value,
            col(Message.size) <= SMALL,
            or_(col(Message.lease_until).is_(None), col(Message.lease_until) < now),
        )
        .order_by(col(Message.id))
        .limit(limit)
    )
    if among is not None:
        candidates = candidates.where(col(Message.id).in_(list(among)))
    if runtime.engine.dialect.name == "postgresql":  # rows another worker is claiming are skipped
        candidates = candidates.with_for_update(skip_locked=True)
    taken = session.execute(
        update(Message)
        .where(col(Message.id).in_(candidates))
        .values(lease_owner=runtime.lease_holder(), lease_until=now + LEASE)
        .returning(col(Message.id))
        .execution_options(synchronize_session=False)
    )
    ids = [int(i) for i in taken.scalars().all()]
    if not ids:
        return []
    return list(session.exec(select(Message).where(col(Message.id).in_(ids)).order_by(col(Message.id))).all())


def _run_one(session: Session, message: Message, context: Context) -> ProcessSummary:
    """The stages of one message in one savepoint; when it fails, rolled back and run carefully."""
    step: Step | None = Step.PARSE
    context.isolate_hooks = False  # a failing hook fails this run: the careful one isolates it
    try:
        with session.begin_nested():
            while step is not None:
                step = STAGES[step](session, message, context)
    except OperationalError:
        raise  # the database, not the message: the whole batch goes back
    except Exception as exc:  # nothing of this run is left: run again, a savepoint a stage and hook
        log.debug(
            "message %s: one-savepoint run failed (%s); running it again stage by stage", message.id, exc
        )
        return _run_carefully(
            session, message, Context(context.runtime, context.message_id, context.actor, context.hooks)
        )
    return ProcessSummary(context.message_id, context.outcome or MessageState.DONE.value, context.stored)


def _run_carefully(session: Session, message: Message, context: Context) -> ProcessSummary:
    """The stages of one message, a savepoint where a lone run commits; a failure is recorded."""
    step: Step | None = Step.PARSE
    try:
        while step is not None:
            with session.begin_nested():
                while step is not None:
                    ran, step = step, STAGES[step](session, message, context)
                    if step is None or step == ran or step in COMMIT_BEFORE:
                        break
    except OperationalError:
        raise  # the database, not the message: the whole batch goes back
    except StageError as exc:
        return _failed(session, message, exc, context)
    except Exception as exc:  # a bug must fail the message, not its neighbours
        log.exception("message %s: unexpected error", message.id)
        error = StageError(StageCode.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}")
        return _failed(session, message, error, context)
    return ProcessSummary(context.message_id, context.outcome or MessageState.DONE.value, context.stored)


def _failed(session: Session, message: Message, exc: StageError, context: Context) -> ProcessSummary:
    record_failure(session, message, exc, context.actor, context)
    return ProcessSummary(int(message.id or 0), MessageState.FAILED.value, error=exc.message)
