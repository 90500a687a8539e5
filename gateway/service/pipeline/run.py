"""Running a message through the stages: the lease, one transaction a stage, the failure record.

:func:`process` claims the message (a lease of this worker *and* this thread, see
:mod:`gateway.store.leases`), so two workers, or two threads of one worker, never process the
same message. It then runs the stages from :data:`Step.PARSE` on, each in its own transaction,
as :data:`STAGES` maps the step each returns to the function that runs it, until one returns
``None``. A :class:`StageError` fails the message with its stage, code,
message and position; a database that is unavailable leaves the message unfinished (every
stage so far is committed) for :func:`recover`; any other exception is a bug and fails the
message as ``INTERNAL_ERROR`` without stopping the gateway.

:func:`take` is the one front door: every transport and ``acorn ingest`` hand received bytes
to it; it receives them and processes the message when it is new or unfinished.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Unpack

from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from gateway.common.heap import roomy_heap
from gateway.service.errors import StageCode, StageError
from gateway.service.hooks import STORED_HOOKS, Hook
from gateway.service.pipeline import ahead, outcomes
from gateway.service.pipeline.acknowledge import acknowledge
from gateway.service.pipeline.after import after_stored, finish
from gateway.service.pipeline.context import Context, ProcessSummary, Stage, Step
from gateway.service.pipeline.dedupe import dedupe
from gateway.service.pipeline.identify import identify
from gateway.service.pipeline.parse import parse_stage
from gateway.service.pipeline.receive import Origin, Receipt, receive
from gateway.service.pipeline.store import store
from gateway.service.pipeline.translate import translate
from gateway.service.runtime import Runtime
from gateway.store import leases, messages, session_scope
from gateway.store.messages import UNFINISHED
from gateway.store.models import Direction, Message, MessageState, utcnow

log = logging.getLogger(__name__)

#: How long a worker may hold a message before another may take it over.
LEASE = timedelta(minutes=5)
#: The one place that knows which function runs each step. Every message starts at PARSE
#: (receive has run: the bytes are archived, the row committed).
STAGES: dict[Step, Stage] = {
    Step.PARSE: parse_stage,
    Step.IDENTIFY: identify,
    Step.DEDUPE: dedupe,
    Step.ACKNOWLEDGE: acknowledge,
    Step.TRANSLATE: translate,
    Step.STORE: store,
    Step.HOOKS: after_stored,
    Step.FINISH: finish,
}


def take(runtime: Runtime, source: bytes | Path, *, filename: str, **origin: Unpack[Origin]) -> Receipt:
    """Receive ``source`` and process it when it is new or unfinished; the front door for every
    transport and for ``acorn ingest``. The receipt's state is where processing left the message."""
    receipt = receive(runtime, source, filename=filename, **origin)
    if receipt.new or receipt.state in UNFINISHED:
        summary = process(runtime, receipt.message_id, actor=origin.get("actor", "gateway"))
        return Receipt(receipt.message_id, receipt.new, summary.state, processed=True)
    return receipt


def claim(runtime: Runtime, message_id: int, states: Sequence[str] = UNFINISHED) -> bool:
    """Take the lease on a message in one of ``states``; ``False`` when another holder has it."""
    with session_scope(runtime.engine) as session:
        where = [col(Message.id) == message_id, col(Message.state).in_(list(states))]
        return leases.claim(session, Message, where, runtime.lease_holder(), LEASE)


#: How often a run that met a busy SQLite database starts over at once (a fresh context from the
#: committed checkpoint) before the message is left to the periodic retry.
BUSY_RETRIES = 3


def process(
    runtime: Runtime, message_id: int, *, actor: str = "gateway", hooks: Sequence[Hook] = STORED_HOOKS
) -> ProcessSummary:
    """Run an inbound message through the stages. Never raises for bad input: a failure is
    recorded on the message. Returns state ``busy`` when another holder has it.

    SQLite refuses a read transaction's upgrade to a write at once when another connection
    committed in between (``SQLITE_BUSY_SNAPSHOT``: the busy timeout does not apply). Nothing is
    wrong then, so the run starts over from what is committed, at once, a few times, instead of
    leaving the message a minute for the periodic retry.
    """
    for attempt in range(BUSY_RETRIES + 1):
        with roomy_heap():  # a batch's objects die young: few full collections (gateway.common.heap)
            summary, busy = _process_once(runtime, message_id, actor, hooks)
        if not busy:
            return summary
        if attempt == BUSY_RETRIES:
            log.warning("message %s: database busy, left to be retried: %s", message_id, summary.error)
            return summary
        log.info("message %s: database busy, starting over (attempt %d)", message_id, attempt + 2)
        time.sleep(0.05 * (attempt + 1))
    return summary  # pragma: no cover - the loop always returns


def _process_once(
    runtime: Runtime, message_id: int, actor: str, hooks: Sequence[Hook]
) -> tuple[ProcessSummary, bool]:
    """One run; the flag says the database was busy (SQLite) and the run may start over at once."""
    if not claim(runtime, message_id):
        with session_scope(runtime.engine) as session:
            message = session.get(Message, message_id)
            state = "missing" if message is None else message.state
        return ProcessSummary(message_id, state if state not in UNFINISHED else "busy"), False
    runtime.refresh()  # today's partner profiles and mappings, read once for this message
    context = Context(runtime, message_id, actor, hooks)
    mine = [col(Message.id) == message_id]
    try:
        with leases.Heartbeat(runtime.engine, Message, mine, runtime.lease_holder(), LEASE):
            run_stages(context)
    except LeaseLost:
        log.warning("message %s: taken over by another worker; this run stops", message_id)
        return ProcessSummary(message_id, "busy", error="lease taken over"), False
    except StageError as exc:
        _fail(runtime, message_id, exc, actor, context)
        return ProcessSummary(message_id, MessageState.FAILED.value, error=exc.message), False
    except OperationalError as exc:
        # The database is locked or unreachable: nothing is wrong with the message. It stays
        # unfinished (every transaction so far is committed) and is taken up again.
        busy = _sqlite_busy(exc)
        if not busy:
            log.warning("message %s: database unavailable, left to be retried: %s", message_id, exc.orig)
        _let_go(runtime, message_id)
        return ProcessSummary(message_id, "busy", error=str(exc.orig)), busy
    except Exception as exc:  # a bug must fail the message, not stop the gateway
        log.exception("message %s: unexpected error", message_id)
        error = StageError(StageCode.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}")
        _fail(runtime, message_id, error, actor, context)
        return ProcessSummary(message_id, MessageState.FAILED.value, error=str(exc)), False
    outcome = context.outcome or MessageState.DONE.value
    log.info("processed message %s: %s", message_id, outcome)
    return ProcessSummary(message_id, outcome, context.stored), False


def _sqlite_busy(exc: OperationalError) -> bool:
    """Whether ``exc`` is SQLite's "database is locked" (SQLITE_BUSY and its kinds)."""
    name = getattr(exc.orig, "sqlite_errorname", "")
    return isinstance(name, str) and name.startswith("SQLITE_BUSY")


class LeaseLost(Exception):
    """Another worker holds the message now: what this run did since is not committed."""


#: The steps a transaction ends before: what the stages until then wrote is committed first. The
#: partner is known (a failure later still names it), the 997/CONTRL is queued (a file that then
#: fails to translate is still answered). Between the others nothing needs to be durable on its
#: own, so they share a transaction: fewer commits, each one an fsync on SQLite.
COMMIT_BEFORE = frozenset({Step.DEDUPE, Step.TRANSLATE})


def run_stages(context: Context) -> None:
    """The stages from :data:`Step.PARSE` until one returns ``None``, in few transactions.

    A transaction ends before each step of :data:`COMMIT_BEFORE` and whenever a stage returns its
    own step (a checkpoint: "commit what I did, then call me again"), and at the end. Each
    renews the lease before it commits (the same transaction, so a worker whose lease has been
    taken over commits nothing more: :class:`LeaseLost`).
    """
    step: Step | None = Step.PARSE
    holder = context.runtime.lease_holder()
    mine = [col(Message.id) == context.message_id]
    while step is not None:
        with session_scope(context.runtime.engine) as session:
            message = session.get(Message, context.message_id)
            assert message is not None
            still_ours = message.lease_owner == holder
            while step is not None:
                ran, step = step, STAGES[step](session, message, context)
                if step is None or step == ran or step in COMMIT_BEFORE:
                    break
            if still_ours and step is not None and not leases.renew(session, Message, mine, holder, LEASE):
                raise LeaseLost(context.message_id)


def _let_go(runtime: Runtime, message_id: int) -> None:
    """Release our lease on ``message_id`` if the database lets us (else it expires)."""
    try:
        with session_scope(runtime.engine) as session:
            leases.release_held(session, Message, [col(Message.id) == message_id], runtime.lease_holder())
    except OperationalError:
        log.debug("message %s: lease left to expire", message_id)


def _fail(runtime: Runtime, message_id: int, exc: StageError, actor: str, context: Context) -> None:
    with session_scope(runtime.engine) as session:
        message = session.get(Message, message_id)
        if message is None:
            return
        record_failure(session, message, exc, actor, context)


def record_failure(session: Session, message: Message, exc: StageError, actor: str, context: Context) -> None:
    """``message`` failed: its lease let go, each interchange's outcome settled, the failure recorded
    (in the caller's transaction: a lone run's own, or a batch's)."""
    leases.release(message)
    try:
        with session.begin_nested():
            outcomes.settle(session, message, context, exc)
    except Exception:  # the failure itself must be recorded whatever the outcomes hold
        log.exception("message %s: interchange outcomes not written", message.id)
    messages.fail(session, message, exc.stage, exc.code.value, exc.message, exc.position, actor=actor)
    ahead.note_failed(session, message)  # a later message of a batch may correct it
    log.warning("message %s failed at %s: %s", message.id, exc.stage, exc.message)


def recover(runtime: Runtime, settled: timedelta | None = None) -> list[int]:
    """Process every unfinished inbound message whose lease is free or expired (after a crash).

    Leases of dead holders on this host are broken first, so a restarted gateway resumes at once
    instead of waiting for the lease to expire. With ``settled`` (the scheduler's periodic retry,
    beside running polls of this same worker), only messages nobody holds and received at least
    that long ago are taken: never one a poll has just received.
    """
    unfinished = [col(Message.direction) == Direction.IN.value, col(Message.state).in_(UNFINISHED)]
    with session_scope(runtime.engine) as session:
        held = session.exec(select(Message).where(*unfinished, col(Message.lease_owner).is_not(None))).all()
        leases.release_dead(session, held)
        query = select(Message.id).where(*unfinished)
        if settled is not None:
            query = query.where(
                col(Message.lease_owner).is_(None), col(Message.created_at) < utcnow() - settled
            )
        ids = [int(i or 0) for i in session.exec(query.order_by(col(Message.id))).all()]
    done = [i for i in ids if process(runtime, i).state != "busy"]
    if done:
        log.info("recovered %d unfinished message(s): %s", len(done), done)
    return done
