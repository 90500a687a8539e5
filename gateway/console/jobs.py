"""Bulk replays in the background, with progress the console can poll.

A bulk replay takes every failed message of a partner (optionally since a date), as
:func:`gateway.pipeline.failed_message_ids` lists them when the job starts, and replays them
in batches on a background thread, so the request that started it returns at once. The
job table is in memory (one per console process): the page polls it. The audit log keeps
the durable record: an entry when the job starts, updated with the counts when it ends.
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from gateway.console import actions
from gateway.console.audit import record
from gateway.store.models import AuditEntry, utcnow

if TYPE_CHECKING:
    from gateway.runtime import Runtime

log = logging.getLogger(__name__)

BATCH_SIZE = 25
MAX_ERRORS_KEPT = 50


@dataclass
class Job:
    """One bulk replay and how far it got."""

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
    state: str = "running"  # running | finished | crashed
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
        """Block until the job ends (True) or ``timeout`` passes (False)."""
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


class JobBusy(RuntimeError):
    """A bulk replay for the same partner is still running."""


class JobTable:
    """The bulk replays of this console process."""

    def __init__(self, runtime: Runtime, batch_size: int = BATCH_SIZE) -> None:
        self.runtime = runtime
        self.batch_size = batch_size
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def all(self) -> list[Job]:
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.started_at, reverse=True)

    def start_bulk_replay(
        self, *, actor: str, reason: str, partner: str | None, since: datetime | None = None
    ) -> Job:
        """Start replaying ``partner``'s failed messages. Raises :class:`JobBusy`,
        :class:`~gateway.console.actions.ActionUnavailable`."""
        with self._lock:
            if any(j.running and j.partner == partner for j in self._jobs.values()):
                raise JobBusy(f"a bulk replay of {partner or 'all partners'} is already running")
            with Session(self.runtime.engine, expire_on_commit=False) as session:
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
                session.commit()
                audit_id = int(entry.id or 0)
            job = Job(job_id, partner, actor, reason, since, len(ids), audit_id)
            self._jobs[job_id] = job
        thread = threading.Thread(
            target=self._run, args=(job, ids), name=f"bulk-replay-{job_id}", daemon=True
        )
        thread.start()
        log.info("bulk replay %s started by %s: %d failed message(s) of %s", job_id, actor, len(ids), partner)
        return job

    def _run(self, job: Job, ids: list[int]) -> None:
        try:
            for start in range(0, len(ids), self.batch_size):
                batch = ids[start : start + self.batch_size]
                try:
                    outcomes = actions.replay(self.runtime, batch, actor=job.actor, reason=job.reason)
                except actions.ActionUnavailable:
                    raise
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
            job.state = "finished"
        except Exception as exc:
            log.exception("bulk replay %s stopped", job.id)
            job.state = "crashed"
            job.error = f"{type(exc).__name__}: {exc}"
        finally:
            job.finished_at = utcnow()
            self._close_audit(job)
            job.done.set()
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
