"""Bulk replays in the background, with progress kept in the database for the console to poll.

A bulk replay takes every failed message of a partner (optionally since a date), as
:func:`gateway.console.actions.failed_message_ids` lists them when the job starts, and replays
them in batches on a background thread, so the request that started it returns at once.
After every batch the job's row in ``replay_jobs`` gets its counts, its first errors and a
heartbeat, so any console process (after a restart, or beside it behind the same database)
shows the same progress. A ``running`` row whose process is gone (same host: its pid no longer
exists; another host: no heartbeat for :data:`STALE_AFTER`) reads as ``interrupted`` and no
longer blocks a new replay of that partner; replaying again picks up what is still failed.
The audit log keeps the durable record: an entry when the job starts, updated with the counts
when it ends.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, select

from gateway.console import actions
from gateway.console.audit import record
from gateway.store.leases import process_alive
from gateway.store.models import AuditEntry, ReplayJob, utcnow

if TYPE_CHECKING:
    from gateway.service.runtime import Runtime

log = logging.getLogger(__name__)

BATCH_SIZE = 25
MAX_ERRORS_KEPT = 50
#: a running job on another host with no heartbeat for this long is taken as interrupted
STALE_AFTER = timedelta(minutes=15)
#: how many jobs the bulk replay page lists
LISTED = 20


@dataclass
class Job:
    """One bulk replay and how far it got (a snapshot of its row)."""

    id: str
    partner: str | None
    actor: str
    reason: str
    since: datetime | None
    total: int
    audit_id: int
    processed: int = 0
    succeeded: int = 0
    failed: int = 0
    state: str = "running"  # running | finished | crashed | interrupted
    error: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    started_at: datetime = field(default_factory=utcnow)
    finished_at: datetime | None = None
    done: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else int(100 * self.processed / self.total)

    @property
    def running(self) -> bool:
        return self.state == "running"

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends (True) or ``timeout`` passes (False); at once for a job
        this process is not running."""
        return self.done.wait(timeout)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "partner": self.partner,
            "actor": self.actor,
            "reason": self.reason,
            "since": self.since.isoformat() if self.since else None,
            "state": self.state,
            "total": self.total,
            "processed": self.processed,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "percent": self.percent,
            "error": self.error,
            "errors": self.errors,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "audit_id": self.audit_id,
        }


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands timestamps back naive (they are UTC)."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


class JobBusy(RuntimeError):
    """A bulk replay for the same partner is still running."""


class JobTable:
    """The bulk replays: started here, read from the database."""

    def __init__(self, runtime: Runtime, batch_size: int = BATCH_SIZE) -> None:
        self.runtime = runtime
        self.batch_size = batch_size
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self._running: dict[str, threading.Event] = {}  # the jobs this process runs
        self._lock = threading.Lock()

    def get(self, job_id: str) -> Job | None:
        with Session(self.runtime.engine) as session:
            row = session.get(ReplayJob, job_id)
            return self._job(row) if row is not None else None

    def all(self, limit: int = LISTED) -> list[Job]:
        """The newest jobs, newest first."""
        with Session(self.runtime.engine) as session:
            rows = session.exec(select(ReplayJob).order_by(ReplayJob.started_at.desc()).limit(limit))  # type: ignore[attr-defined]
            return [self._job(row) for row in rows]

    def start_bulk_replay(
        self, *, actor: str, reason: str, partner: str | None, since: datetime | None = None
    ) -> Job:
        """Start replaying ``partner``'s failed messages. Raises :class:`JobBusy`."""
        with self._lock, Session(self.runtime.engine, expire_on_commit=False) as session:
            same = ReplayJob.partner == partner if partner is not None else ReplayJob.partner.is_(None)  # type: ignore[union-attr]
            for other in session.exec(select(ReplayJob).where(ReplayJob.state == "running", same)):
                if self._alive(other):
                    raise JobBusy(f"a bulk replay of {partner or 'all partners'} is already running")
            ids = actions.failed_message_ids(session, partner=partner, since=since)
            job_id = uuid.uuid4().hex[:12]
            entry = record(
                session,
                actor,
                "bulk_replay.start",
                "partner",
                partner or "*",
                reason,
                {"job": job_id, "total": len(ids), "since": since.isoformat() if since else None},
            )
            session.flush()
            row = ReplayJob(
                id=job_id,
                partner=partner,
                actor=actor,
                reason=reason,
                since=since,
                total=len(ids),
                owner=self.owner,
                audit_id=entry.id,
            )
            session.add(row)
            session.commit()
            self._running[job_id] = threading.Event()
            job = self._job(row)
        thread = threading.Thread(
            target=self._run, args=(job, ids), name=f"bulk-replay-{job_id}", daemon=True
        )
        thread.start()
        log.info("bulk replay %s started by %s: %d failed message(s) of %s", job_id, actor, len(ids), partner)
        return job

    def _alive(self, row: ReplayJob) -> bool:
        """Whether the process running ``row`` still runs it."""
        if row.owner == self.owner:
            event = self._running.get(row.id)
            return event is not None and not event.is_set()
        alive = process_alive(row.owner)
        if alive is not None:  # a process of this host
            return alive
        heartbeat = _aware(row.heartbeat_at)
        return heartbeat is not None and utcnow() - heartbeat < STALE_AFTER

    def _job(self, row: ReplayJob) -> Job:
        state = row.state
        if state == "running" and not self._alive(row):
            state = "interrupted"
        done = self._running.get(row.id)
        if done is None:
            done = threading.Event()
            done.set()  # nothing to wait for here
        return Job(
            id=row.id,
            partner=row.partner,
            actor=row.actor,
            reason=row.reason,
            since=_aware(row.since),
            total=row.total,
            audit_id=row.audit_id or 0,
            processed=row.processed,
            succeeded=row.succeeded,
            failed=row.failed,
            state=state,
            error=row.error,
            errors=list(row.errors or []),
            started_at=_aware(row.started_at) or utcnow(),
            finished_at=_aware(row.finished_at),
            done=done,
        )

    def _save(self, job: Job) -> None:
        """Write ``job``'s progress to its row (and its end, once it has one)."""
        with Session(self.runtime.engine) as session:
            row = session.get(ReplayJob, job.id)
            if row is None:
                return
            row.processed, row.succeeded, row.failed = job.processed, job.succeeded, job.failed
            row.errors = list(job.errors)
            row.state, row.error, row.finished_at = job.state, job.error, job.finished_at
            row.heartbeat_at = utcnow()
            session.add(row)
            session.commit()

    def _run(self, job: Job, ids: list[int]) -> None:
        try:
            for start in range(0, len(ids), self.batch_size):
                batch = ids[start : start + self.batch_size]
                try:
                    outcomes = actions.replay(self.runtime, batch, actor=job.actor, reason=job.reason)
                except Exception as exc:  # one bad batch must not stop the others: count and go on
                    log.exception("bulk replay %s: a batch failed", job.id)
                    outcomes = [actions.Outcome(i, "failed", f"{type(exc).__name__}: {exc}") for i in batch]
                for outcome in outcomes:
                    if outcome.ok:
                        job.succeeded += 1
                    else:
                        job.failed += 1
                        if len(job.errors) < MAX_ERRORS_KEPT:
                            job.errors.append({"message_id": outcome.message_id, "error": outcome.error})
                job.processed += len(batch)
                self._save(job)
            job.state = "finished"
        except Exception as exc:
            log.exception("bulk replay %s stopped", job.id)
            job.state = "crashed"
            job.error = f"{type(exc).__name__}: {exc}"
        finally:
            job.finished_at = utcnow()
            try:
                self._save(job)
            except Exception:
                log.exception("bulk replay %s: could not record its end", job.id)
            self._close_audit(job)
            job.done.set()
            self._running.pop(job.id, None)  # its row says how it ended (or, if that failed, "interrupted")
            log.info(
                "bulk replay %s %s: %d of %d processed, %d ok, %d failed",
                job.id,
                job.state,
                job.processed,
                job.total,
                job.succeeded,
                job.failed,
            )

    def _close_audit(self, job: Job) -> None:
        try:
            with Session(self.runtime.engine) as session:
                entry = session.get(AuditEntry, job.audit_id)
                if entry is not None:
                    entry.detail = {**(entry.detail or {}), **_summary(job)}
                    session.add(entry)
                record(
                    session,
                    job.actor,
                    "bulk_replay.end",
                    "partner",
                    job.partner or "*",
                    job.reason,
                    _summary(job),
                )
                session.commit()
        except Exception:
            log.exception("bulk replay %s: could not write the audit log", job.id)


def _summary(job: Job) -> dict[str, Any]:
    return {
        "job": job.id,
        "state": job.state,
        "total": job.total,
        "processed": job.processed,
        "succeeded": job.succeeded,
        "failed": job.failed,
        "error": job.error,
    }
