"""Leases: who may work on a message, poll a mailbox or run a bulk job, and whether they still live.

A lease is two columns on the leased row, ``lease_owner`` and ``lease_until``. Its owner is a
*holder*: one worker (``host:pid``) **and** one thread or job of it (``host:pid:t<thread>`` or
``host:pid:<job>``), see :func:`holder`. Rules:

- :func:`claim` is one conditional ``UPDATE``: it takes the row when nobody holds it, the lease
  has expired, or the same holder already has it (a holder may re-enter its own lease). A
  sibling thread of the same process is another holder: it may not take a live lease.
- :func:`renew` extends a lease only for its holder; :func:`release` lets go of a loaded row
  (inside the caller's transaction); :func:`release_held` lets go by key.
- :func:`owner_is_dead` says whether a holder is gone for certain: a process of this host that no
  longer runs, or a thread of this very process that has ended. A dead holder's lease may be
  broken at once (:func:`release_dead`) instead of waiting for it to expire. A holder on
  another host is never judged dead here; its lease expires.
- :class:`Heartbeat` renews a lease while long work runs, so a lease lives as long as its
  holder does and no longer.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Collection, Iterable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import ColumnElement, Engine, or_, update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from gateway.store.models import MailboxStatus, Message, Worker, utcnow

log = logging.getLogger(__name__)

#: the tables that carry a lease
Leased = type[Message] | type[MailboxStatus]


class HasLease(Protocol):
    lease_owner: str | None
    lease_until: datetime | None


def holder(worker: str, job: str | None = None) -> str:
    """The lease owner for ``worker`` (``host:pid``) and the calling thread, or a named ``job``."""
    return f"{worker}:{job if job is not None else f't{threading.get_native_id()}'}"


def aware(moment: datetime) -> datetime:
    """SQLite hands timestamps back naive (they are UTC)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def claim(
    session: Session, table: Leased, where: Iterable[ColumnElement[bool]], owner: str, duration: timedelta
) -> bool:
    """Take the lease on the row(s) of ``table`` matching ``where`` for ``owner``; ``False`` when held."""
    now = utcnow()
    result = session.execute(
        update(table)
        .where(
            *where,
            or_(
                col(table.lease_until).is_(None),
                col(table.lease_until) < now,
                col(table.lease_owner) == owner,
            ),
        )
        .values(lease_owner=owner, lease_until=now + duration)
    )
    return bool(getattr(result, "rowcount", 0))


def renew(
    session: Session, table: Leased, where: Iterable[ColumnElement[bool]], owner: str, duration: timedelta
) -> bool:
    """Extend ``owner``'s lease; ``False`` when ``owner`` no longer holds it."""
    result = session.execute(
        update(table).where(*where, col(table.lease_owner) == owner).values(lease_until=utcnow() + duration)
    )
    return bool(getattr(result, "rowcount", 0))


def release(row: HasLease) -> None:
    """Let go of the lease on a loaded ``row`` (the caller's transaction commits it)."""
    row.lease_owner = None
    row.lease_until = None


def release_held(session: Session, table: Leased, where: Iterable[ColumnElement[bool]], owner: str) -> None:
    """Let go of ``owner``'s lease on the rows matching ``where`` (someone else's stays)."""
    session.execute(
        update(table)
        .where(*where, col(table.lease_owner) == owner)
        .values(lease_owner=None, lease_until=None)
    )


def held_by_other(row: HasLease, owner: str) -> bool:
    """Whether a live lease on ``row`` belongs to someone other than ``owner``."""
    return bool(
        row.lease_owner and row.lease_until and aware(row.lease_until) > utcnow() and row.lease_owner != owner
    )


def release_dead(session: Session, rows: Iterable[HasLease], stale: Collection[str] = ()) -> int:
    """Break the leases on ``rows`` whose holder is dead (see :func:`owner_is_dead`), or is a
    process of a worker in ``stale`` (:func:`stale_workers`); how many."""
    broken = 0
    for row in rows:
        owner = row.lease_owner
        if owner and (owner_is_dead(owner) or worker_of(owner) in stale):
            release(row)
            session.add(row)
            broken += 1
    return broken


def worker_of(owner: str) -> str:
    """The worker (``host:pid``) of a lease owner ``host:pid:thread``."""
    return ":".join(owner.split(":")[:2])


def stale_workers(session: Session, after: timedelta) -> set[str]:
    """Workers (any host) that stopped, or whose heartbeat is older than ``after``: they are gone."""
    cutoff = utcnow() - after
    rows = session.exec(select(Worker)).all()
    return {w.id for w in rows if w.stopped_at is not None or aware(w.heartbeat_at) < cutoff}


def owner_is_dead(owner: str | None, host: str | None = None) -> bool:
    """True when ``owner`` (``host:pid`` or ``host:pid:<thread or job>``) is certainly gone.

    A process of this host that no longer runs is dead; so is a thread of this process that
    has ended. A named job of this process, or anything of another host, is not judged here.
    """
    owner_host, pid, rest = _split(owner or "")
    if owner_host != (host or socket.gethostname()) or pid is None:
        return False
    if not pid_alive(pid):
        return True
    if pid == os.getpid() and rest.startswith("t") and rest[1:].isdigit():
        return int(rest[1:]) not in {t.native_id for t in threading.enumerate()}
    return False


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` of this host runs (someone else's process counts as running)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def process_alive(owner: str) -> bool | None:
    """Whether the process of ``owner`` (``host:pid...``) runs; ``None`` when it is not of this host."""
    owner_host, pid, _rest = _split(owner)
    if owner_host != socket.gethostname() or pid is None:
        return None
    return pid_alive(pid)


def _split(owner: str) -> tuple[str, int | None, str]:
    """``host:pid[:rest]`` -> (host, pid, rest); pid is ``None`` when it is not a number."""
    host, _, tail = owner.partition(":")
    pid, _, rest = tail.partition(":")
    return host, (int(pid) if pid.isascii() and pid.isdigit() else None), rest


class Heartbeat:
    """Keep ``owner``'s lease on the rows matching ``where`` alive while work runs (a daemon thread).

    Every ``every`` seconds it renews the lease for ``duration``; a holder that stops (its process
    dies, or :meth:`stop` is called) stops renewing, so the lease expires and another may take the
    work over. When a renewal finds the lease no longer ours, :attr:`lost` is set and renewing
    stops: the caller must not commit further work for that row. A database that is briefly
    unavailable is retried at the next beat. Use as a context manager around the work.
    """

    def __init__(
        self,
        engine: Engine,
        table: Leased,
        where: Iterable[ColumnElement[bool]],
        owner: str,
        duration: timedelta,
        every: float | None = None,
    ) -> None:
        self._engine = engine
        self._table = table
        self._where = list(where)
        self._owner = owner
        self._duration = duration
        self._every = every if every is not None else max(duration.total_seconds() / 3, 0.05)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat {owner}", daemon=True)
        self.lost = False
        self.beats = 0

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop renewing (the lease stays until released or expired)."""
        self._stopped.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def _run(self) -> None:
        while not self._stopped.wait(self._every):
            try:
                with Session(self._engine) as session:
                    kept = renew(session, self._table, self._where, self._owner, self._duration)
                    session.commit()
            except OperationalError as exc:
                log.warning("lease of %s not renewed (database unavailable): %s", self._owner, exc.orig)
                continue
            if not kept:
                self.lost = True
                log.warning("lease of %s was taken over; its work stops", self._owner)
                return
            self.beats += 1
