"""Findings -> discrepancy rows: idempotent upserts, self-closing, status transitions with an audit trail.

A run re-examines whole *scopes* (see :mod:`gateway.reconcile.rules`). For each scope:

- a finding whose key has no row becomes an ``open`` discrepancy (note "found");
- a finding whose row exists updates it in place (expected, actual, money at risk...);
  a row that reconciliation itself had closed is reopened (note "found again"), one an
  operator resolved stays resolved;
- a row of the scope that is not ``resolved`` and no longer found is resolved by
  reconciliation with the note "no longer found".

Operators move a discrepancy through :data:`TRANSITIONS` (open -> acknowledged -> resolved
or disputed; a resolved one may be reopened) with :func:`set_discrepancy_status`; every
change made by a person or by reconciliation is written to the audit log.

Two workers reconciling the same scope are serialised: PostgreSQL takes a transaction-level
advisory lock per scope (in sorted order, so never a deadlock); SQLite has one writer, taken
up front.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, text
from sqlmodel import Session, select

from gateway.orders.book import CHUNK, chunks
from gateway.reconcile.findings import Finding
from gateway.store.counters import next_value
from gateway.store.models import AuditEntry, Discrepancy, utcnow

log = logging.getLogger(__name__)

STATUSES = ("open", "acknowledged", "resolved", "disputed")
#: Who may go where (operators). Reconciliation itself closes and reopens from any status.
TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"acknowledged"}),
    "acknowledged": frozenset({"resolved", "disputed"}),
    "disputed": frozenset({"resolved", "acknowledged"}),
    "resolved": frozenset({"open"}),
}
ROBOT = "reconcile"
EVERYTHING = "reconcile:*"
_FIELDS = (
    "partner",
    "kind",
    "severity",
    "po_number",
    "shipment_id",
    "invoice_number",
    "rma_number",
    "line_no",
    "expected",
    "actual",
    "amount_at_risk",
    "currency",
)
#: The column each scope prefix is found by (all indexed but ``rma_number``).
_SCOPE_COLUMNS = {"po": "po_number", "asn": "shipment_id", "inv": "invoice_number", "rma": "rma_number"}
#: the scope columns with an index of their own: an ``OR`` of them is still an index lookup each
_INDEXED = frozenset({"po_number", "shipment_id", "invoice_number"})


class DiscrepancyError(ValueError):
    """A discrepancy that does not exist, or a status change that is not allowed."""


@dataclass
class SyncCounts:
    """What one sync did."""

    created: int = 0
    updated: int = 0
    reopened: int = 0
    closed: int = 0
    unchanged: int = 0
    fresh: list[Discrepancy] = field(default_factory=list)  # created or reopened

    def add(self, other: SyncCounts) -> None:
        for name in ("created", "updated", "reopened", "closed", "unchanged"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.fresh.extend(other.fresh)


def _note(actor: str, status: str, note: str, at: datetime) -> dict[str, Any]:
    return {"at": at.isoformat(), "actor": actor, "status": status, "note": note}


def _audit(session: Session, row: Discrepancy, actor: str, before: str, after: str, note: str | None) -> None:
    session.add(
        AuditEntry(
            actor=actor,
            action=f"discrepancy.{after}",
            target_type="discrepancy",
            target_id=str(row.id),
            reason=note,
            detail={"from": before, "to": after, "key": row.key, "kind": row.kind},
        )
    )


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


#: one statement: the shared lock on everything first, then each scope's, in sorted order
_PG_SCOPE_LOCKS = text(
    "SELECT count(CASE WHEN ks.o = 0 THEN pg_advisory_xact_lock_shared(ks.k) "
    "ELSE pg_advisory_xact_lock(ks.k) END) "
    "FROM (SELECT 0 AS o, CAST(:everything AS bigint) AS k "
    "UNION ALL SELECT 1, unnest(CAST(:keys AS bigint[])) ORDER BY 1, 2) AS ks"
)


def lock_scopes(session: Session, scopes: Iterable[str], *, everything: bool = False) -> None:
    """Serialise work on ``scopes`` (or on ``everything``) with other workers until the transaction ends.

    PostgreSQL: a run over everything takes one exclusive advisory lock; any other run takes that
    lock shared and then one exclusive lock per scope, in sorted order (a full pass over thousands
    of scopes would otherwise run out of lock slots). SQLite: its single writer lock, taken now.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        if everything:
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_key(EVERYTHING)})
            return
        keys = sorted({_lock_key(s) for s in scopes})
        session.execute(_PG_SCOPE_LOCKS, {"everything": _lock_key(EVERYTHING), "keys": keys})
    elif dialect == "sqlite" and not _sqlite_locked(session):
        next_value(session, "_gateway", "reconcile-lock")  # the first write takes SQLite's writer lock
        session.info[_SQLITE_LOCK] = session.get_transaction()


#: ``session.info`` key: the outermost transaction that took SQLite's writer lock for reconciliation
_SQLITE_LOCK = "gateway.reconcile.sqlite_lock"


def _sqlite_locked(session: Session) -> bool:
    """SQLite's writer lock is held for reconciliation already: taken by :func:`lock_scopes` in this
    outermost transaction, which is still open on the connection (a savepoint rolled back keeps
    the lock; only the transaction's end lets it go). Saves a write a hook a message."""
    if session.info.get(_SQLITE_LOCK) is not session.get_transaction():
        return False
    driver = session.connection().connection.driver_connection
    return bool(getattr(driver, "in_transaction", False))


def scope_rows(session: Session, scopes: Collection[str]) -> dict[str, Discrepancy]:
    """Every discrepancy row of ``scopes``, by key."""
    wanted: dict[str, set[str]] = defaultdict(set)
    other: set[str] = set()
    for scope in scopes:
        prefix, _, value = scope.partition(":")
        column = _SCOPE_COLUMNS.get(prefix)
        if column and value:
            wanted[column].add(value)
        else:
            other.add(scope)
    rows: dict[str, Discrepancy] = {}
    prefixes = tuple(f"{s}|" for s in scopes)
    if wanted.keys() <= _INDEXED and sum(map(len, wanted.values())) <= CHUNK:  # the usual: one query
        either = or_(*(getattr(Discrepancy, c).in_(sorted(v)) for c, v in sorted(wanted.items())))
        wanted.clear()  # read above
        for row in session.exec(select(Discrepancy).where(either)).all():
            if row.key.startswith(prefixes):
                rows[row.key] = row
    for column, values in wanted.items():
        attr = getattr(Discrepancy, column)
        for batch in chunks(sorted(values)):
            for row in session.exec(select(Discrepancy).where(attr.in_(batch))).all():
                if row.key.startswith(prefixes):
                    rows[row.key] = row
    for scope in other:  # e.g. "aging": few rows, found by key prefix
        for row in session.exec(select(Discrepancy).where(Discrepancy.key.startswith(f"{scope}|"))).all():  # type: ignore[attr-defined]
            rows[row.key] = row
    return rows


def sync_findings(
    session: Session, scopes: Collection[str], findings: Iterable[Finding], *, now: datetime | None = None
) -> SyncCounts:
    """Make the discrepancy rows of ``scopes`` say what ``findings`` say; the caller commits."""
    now = now or utcnow()
    counts = SyncCounts()
    existing = scope_rows(session, scopes)
    seen: set[str] = set()
    for finding in findings:
        key = finding.key
        if key in seen:
            continue
        seen.add(key)
        row = existing.get(key)
        if row is None:
            row = Discrepancy(
                key=key,
                partner=finding.partner,
                kind=finding.kind,
                status="open",
                notes=[_note(ROBOT, "open", "found", now)],
            )
            _apply(row, finding)
            row.detail = {**finding.detail, "scope": finding.scope}
            session.add(row)
            counts.created += 1
            counts.fresh.append(row)
            continue
        changed = _apply(row, finding)
        detail = {**finding.detail, "scope": finding.scope}
        closed_by_us = (row.detail or {}).get("closed_by") == ROBOT
        if row.status == "resolved" and closed_by_us:
            row.status = "open"
            row.resolved_at = None
            row.notes = [*row.notes, _note(ROBOT, "open", "found again", now)]
            session.flush()
            _audit(session, row, ROBOT, "resolved", "open", "found again")
            counts.reopened += 1
            counts.fresh.append(row)
            changed = True
        elif row.status == "resolved":
            detail["closed_by"] = (row.detail or {}).get("closed_by")
        if detail != (row.detail or {}):
            row.detail = detail
            changed = True
        if changed:
            row.updated_at = now
            session.add(row)
            counts.updated += 1
        else:
            counts.unchanged += 1
    for key, row in existing.items():
        if key in seen or row.status == "resolved":
            continue
        before = row.status
        row.status = "resolved"
        row.resolved_at = now
        row.updated_at = now
        row.notes = [*row.notes, _note(ROBOT, "resolved", "no longer found", now)]
        row.detail = {**(row.detail or {}), "closed_by": ROBOT}
        session.add(row)
        session.flush()
        _audit(session, row, ROBOT, before, "resolved", "no longer found")
        counts.closed += 1
    session.flush()
    return counts


def _apply(row: Discrepancy, finding: Finding) -> bool:
    changed = False
    for name in _FIELDS:
        value = getattr(finding, name)
        if name in ("expected", "actual") and value is not None:
            value = str(value)[:255]
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def set_discrepancy_status(
    session: Session, discrepancy_id: int, status: str, actor: str, note: str | None = None
) -> Discrepancy:
    """Move discrepancy ``discrepancy_id`` to ``status`` with ``note``, audited; the caller commits.

    Raises :class:`DiscrepancyError` for an unknown id or status, or a move :data:`TRANSITIONS`
    does not allow.
    """
    if status not in STATUSES:
        raise DiscrepancyError(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
    row = session.get(Discrepancy, discrepancy_id)
    if row is None:
        raise DiscrepancyError(f"no discrepancy {discrepancy_id}")
    before = row.status
    if status not in TRANSITIONS.get(before, frozenset()):
        allowed = ", ".join(sorted(TRANSITIONS.get(before, ()))) or "nothing"
        raise DiscrepancyError(
            f"discrepancy {discrepancy_id} is {before}: it can go to {allowed}, not {status}"
        )
    now = utcnow()
    row.status = status
    row.updated_at = now
    row.resolved_at = now if status == "resolved" else None
    row.notes = [*row.notes, _note(actor, status, note or "", now)]
    detail = dict(row.detail or {})
    if status == "resolved":
        detail["closed_by"] = actor
    else:
        detail.pop("closed_by", None)
    row.detail = detail
    session.add(row)
    _audit(session, row, actor, before, status, note)
    session.flush()
    log.info("discrepancy %s (%s): %s -> %s by %s", row.id, row.kind, before, status, actor)
    return row
