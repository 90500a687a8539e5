"""The gateway service: APScheduler jobs that poll every mailbox, drain the outbox and beat a heart.

One job per enabled mailbox runs at the mailbox's ``interval``; a mailbox that fails backs off
(``backoff_initial_seconds`` doubling up to ``backoff_max_seconds``) while the others go on.
The outbox job sends queued messages; the heartbeat job records this worker in the ``workers``
table (``/healthz`` reads it); the main thread adds and removes mailbox jobs when partner profiles
change; an hourly job queues automatic invoices that now pass and runs the aging checks
(alerts); a job every five minutes sends each partner's inventory and cost feed (846) once per
slot of its schedule; a daily job prunes the archive when a retention is set. At start,
unfinished messages left by a crash are processed first.

SIGTERM and SIGINT stop the scheduler gracefully: no new job starts, and running jobs finish
the message they are on before the process exits.
"""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import FrameType

from apscheduler.executors.pool import ThreadPoolExecutor  # type: ignore[import-untyped]
from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]

from gateway import __version__
from gateway.service import mailboxes, pipeline
from gateway.service.money import (
    build_credit_notes,
    run_aging_checks,
    run_inventory_feeds,
    run_settlement,
    send_ready_invoices,
)
from gateway.service.retention import prune_archive
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import Worker, utcnow
from gateway.transports import TransportError

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10.0
SYNC_SECONDS = 30.0
#: an unfinished message nobody holds is retried once it is this old (never one a poll just received)
RETRY_SETTLED = timedelta(minutes=1)
MONEY_SECONDS = 3600.0
#: how often the 846 schedule is looked at (a slot is sent once, whenever it is looked at first)
INVENTORY_SECONDS = 300.0
#: how often every worker looks for received messages to process (whoever received them)
PROCESS_SECONDS = 1.0
#: threads of the service jobs (heartbeat, outbox, money, retention); mailbox polls get ``workers``
SERVICE_THREADS = 4


def backoff_seconds(failures: int, initial: float, maximum: float) -> float:
    """How long a mailbox waits after ``failures`` consecutive failures (1 -> initial, doubling)."""
    if failures <= 0:
        return 0.0
    return float(min(initial * 2 ** (failures - 1), maximum))


@dataclass
class Gateway:
    """The scheduled service around one :class:`Runtime`."""

    runtime: Runtime
    scheduler: BackgroundScheduler = field(init=False)
    failures: dict[str, int] = field(default_factory=dict)
    not_before: dict[str, datetime] = field(default_factory=dict)
    stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        # scheduler.workers mailboxes are polled at once; the heartbeat never waits behind them
        self.scheduler = BackgroundScheduler(
            timezone="UTC",
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
            executors={
                "default": ThreadPoolExecutor(self.runtime.settings.scheduler.workers),
                "service": ThreadPoolExecutor(SERVICE_THREADS),
            },
        )

    # -- jobs -----------------------------------------------------------------------------
    def mailbox_targets(self) -> dict[str, tuple[str, str, float]]:
        """``job id -> (partner, mailbox, interval)`` for every enabled mailbox that is polled."""
        targets = {}
        default = self.runtime.settings.scheduler.poll_interval_seconds
        for profile in self.runtime.partners:
            for box in profile.mailboxes:
                if box.enabled:
                    targets[f"poll:{profile.name}/{box.name}"] = (
                        profile.name,
                        box.name,
                        box.interval or default,
                    )
        return targets

    def poll(self, partner: str, mailbox: str, interval: float) -> None:
        """One poll of one mailbox; while it backs off, the job's runs return at once.

        Jobs never call back into the scheduler (a job waiting on the scheduler's lock while
        ``shutdown`` waits for the job would never end); backoff is a time kept here.
        """
        job_id = f"poll:{partner}/{mailbox}"
        now = utcnow()
        if self.stopping.is_set() or now < self.not_before.get(job_id, now):
            return
        try:
            next_run = now + timedelta(seconds=interval)
            summary = mailboxes.poll_mailbox(self.runtime, partner, mailbox, next_run)
            if summary.taken:
                mailboxes.send_due(self.runtime, partner)  # acknowledgements leave at once
        except (TransportError, KeyError) as exc:
            failures = self.failures.get(job_id, 0) + 1
            self.failures[job_id] = failures
            settings = self.runtime.settings.scheduler
            delay = backoff_seconds(failures, settings.backoff_initial_seconds, settings.backoff_max_seconds)
            when = utcnow() + timedelta(seconds=max(delay, interval))
            self.not_before[job_id] = when
            log.warning("%s/%s: %s; retrying in %.0fs (failure %d)", partner, mailbox, exc, delay, failures)
            mailboxes.record_next_run(self.runtime, partner, mailbox, when)
            return
        except Exception:
            log.exception("%s/%s: poll failed unexpectedly", partner, mailbox)
            return
        self.not_before.pop(job_id, None)
        if self.failures.pop(job_id, 0):
            log.info("%s/%s: reachable again", partner, mailbox)

    def send(self) -> None:
        if not self.stopping.is_set():
            try:
                pipeline.recover(self.runtime, settled=RETRY_SETTLED)  # a locked database left them
            except Exception:
                log.exception("recovering unfinished messages failed")
            try:
                mailboxes.send_due(self.runtime)
            except Exception:
                log.exception("outbox: sending failed unexpectedly")

    def process(self) -> None:
        """Process received messages of any mailbox, claimed one by one (receiving is the poller's
        claim, processing this one: the work spreads over every worker)."""
        try:
            for _ in pipeline.drain(self.runtime):
                if self.stopping.is_set():
                    return
        except Exception:
            log.exception("processing received messages failed")

    def money(self) -> None:
        """Queue automatic invoices that now pass their checks; run the aging checks and alerts."""
        if self.stopping.is_set():
            return
        try:
            send_ready_invoices(self.runtime)
        except Exception:
            log.exception("queuing ready invoices failed")
        try:
            build_credit_notes(self.runtime)  # returns that became creditable since the last run
        except Exception:
            log.exception("building credit notes failed")
        try:
            run_aging_checks(self.runtime)
        except Exception:
            log.exception("aging checks failed")

    def inventory(self) -> None:
        """The 846 of each partner whose schedule slot has none queued yet (once per slot)."""
        if self.stopping.is_set():
            return
        try:
            run_inventory_feeds(self.runtime)
        except Exception:
            log.exception("inventory feeds failed")

    def settle(self) -> None:
        """Send the reminders due and deliver pending ERP events (issue 18)."""
        if self.stopping.is_set():
            return
        try:
            run_settlement(self.runtime)
        except Exception:
            log.exception("settlement job failed")

    def prune(self) -> None:
        try:
            prune_archive(self.runtime)
        except Exception:
            log.exception("archive retention failed")

    def heartbeat(self, stopped: bool = False) -> None:
        try:
            with session_scope(self.runtime.engine) as session:
                row = session.get(Worker, self.runtime.worker_id)
                if row is None:
                    row = Worker(id=self.runtime.worker_id, version=__version__)
                row.heartbeat_at = utcnow()
                row.stopped_at = utcnow() if stopped else None
                session.add(row)
        except Exception:
            log.exception("heartbeat failed")

    def sync_jobs(self) -> None:
        """Add jobs for new mailboxes and drop those of removed ones."""
        try:
            targets = self.mailbox_targets()
        except Exception:
            log.exception("partner profiles could not be read; keeping the current jobs")
            return
        current = {job.id for job in self.scheduler.get_jobs() if job.id.startswith("poll:")}
        for job_id in current - set(targets):
            self.scheduler.remove_job(job_id)
            log.info("stopped polling %s", job_id.removeprefix("poll:"))
        for job_id, (partner, mailbox, interval) in targets.items():
            if job_id not in current:
                self.scheduler.add_job(
                    self.poll, "interval", seconds=interval, id=job_id, args=(partner, mailbox, interval),
                    next_run_time=utcnow(),
                )  # fmt: skip
                log.info("polling %s/%s every %.0fs", partner, mailbox, interval)

    # -- life cycle -----------------------------------------------------------------------
    def start(self) -> None:
        settings = self.runtime.settings.scheduler
        self.heartbeat()
        pipeline.recover(self.runtime)
        service = {"executor": "service"}
        self.scheduler.add_job(
            self.heartbeat, "interval", seconds=HEARTBEAT_SECONDS, id="heartbeat", **service
        )
        self.scheduler.add_job(
            self.send,
            "interval",
            seconds=settings.outbox_interval_seconds,
            id="outbox",
            next_run_time=utcnow(),
            **service,
        )
        self.scheduler.add_job(self.process, "interval", seconds=PROCESS_SECONDS, id="process", **service)
        self.scheduler.add_job(
            self.money, "interval", seconds=MONEY_SECONDS, id="money", next_run_time=utcnow(), **service
        )
        self.scheduler.add_job(
            self.inventory,
            "interval",
            seconds=INVENTORY_SECONDS,
            id="inventory",
            next_run_time=utcnow(),
            **service,
        )
        self.scheduler.add_job(
            self.settle, "interval", seconds=MONEY_SECONDS, id="settlement", next_run_time=utcnow()
        )
        if self.runtime.settings.archive_retention_days:
            self.scheduler.add_job(
                self.prune, "interval", hours=24, id="retention", next_run_time=utcnow(), **service
            )
        self.sync_jobs()
        self.scheduler.start()
        log.info("gateway %s started as %s", __version__, self.runtime.worker_id)

    def stop(self) -> None:
        self.stopping.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.heartbeat(stopped=True)
        log.info("gateway stopped")

    def run_forever(self) -> None:
        """Start, then wait for SIGTERM/SIGINT and stop gracefully."""
        done = threading.Event()

        def _signal(signum: int, _frame: FrameType | None) -> None:
            log.info("received %s: finishing current work", signal.Signals(signum).name)
            done.set()

        signal.signal(signal.SIGTERM, _signal)
        signal.signal(signal.SIGINT, _signal)
        self.start()
        try:
            while not done.wait(SYNC_SECONDS):
                self.sync_jobs()  # here, not in a job: jobs never call into the scheduler
        finally:
            self.stop()


def run_once(runtime: Runtime) -> dict[str, int]:
    """Poll every enabled mailbox once and send what is due (for cron, tests and ``acorn run --once``)."""
    totals = {"taken": 0, "done": 0, "failed": 0, "duplicates": 0, "sent": 0, "mailbox_errors": 0}
    pipeline.recover(runtime)
    for profile in runtime.partners:
        for box in profile.mailboxes:
            if not box.enabled:
                continue
            try:
                summary = mailboxes.poll_mailbox(runtime, profile.name, box.name)
            except TransportError as exc:
                log.warning("%s/%s: %s", profile.name, box.name, exc)
                totals["mailbox_errors"] += 1
                continue
            except Exception:  # an unwritable archive, a database error: the other mailboxes still run
                log.exception("%s/%s: poll failed; the files stay in the mailbox", profile.name, box.name)
                totals["mailbox_errors"] += 1
                continue
            totals["taken"] += summary.taken
            totals["done"] += summary.done
            totals["failed"] += summary.failed
            totals["duplicates"] += summary.duplicates
    counted = {"done": "done", "failed": "failed", "duplicate": "duplicates"}
    for result in pipeline.drain(runtime):  # received earlier (a crash between receive and process)
        if result.state in counted:
            totals[counted[result.state]] += 1
    try:
        build_credit_notes(runtime)  # returns that became creditable (their invoice came after them)
    except Exception:
        log.exception("building credit notes failed")
    try:
        run_inventory_feeds(runtime)  # the 846 of each partner whose slot has none yet
    except Exception:
        log.exception("inventory feeds failed")
    totals["sent"] = mailboxes.send_due(runtime).sent
    return totals
