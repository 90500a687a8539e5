"""Per-partner counters: control numbers and invoice numbers that are never handed out twice.

One statement does the whole increment, so no two workers can read the same value:

``INSERT INTO counters (partner, name, value) VALUES (:p, :n, :start)
ON CONFLICT (partner, name) DO UPDATE SET value = counters.value + 1 RETURNING value``

PostgreSQL takes a row lock for the update (a concurrent worker waits for the commit and
then sees the new value); SQLite (3.35+) runs it under its single writer lock. The value
is consumed by the caller's transaction: if it rolls back, the number is free again,
and if it commits, the number is gone for ever (a gap is possible when a caller commits
the number but not what used it; a reuse never is).
"""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from gateway.store.models import Counter

#: Well-known counter names.
ISA_CONTROL = "isa"
GS_CONTROL = "gs"
ST_CONTROL = "st"
UNB_CONTROL = "unb"
UNH_REFERENCE = "unh"
INVOICE_NUMBER = "invoice"


def next_value(session: Session, partner: str, name: str, start: int = 1) -> int:
    """Increment the counter ``name`` of ``partner`` (creating it at ``start``) and return the new value.

    Runs in the session's transaction; the caller commits. Raises
    :class:`NotImplementedError` on a database that is neither SQLite nor PostgreSQL.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        insert = postgresql.insert
    elif dialect == "sqlite":
        insert = sqlite.insert  # type: ignore[assignment]
    else:  # pragma: no cover
        raise NotImplementedError(f"counters need SQLite or PostgreSQL, not {dialect}")
    table = Counter.__table__  # type: ignore[attr-defined]
    stmt = insert(table).values(partner=partner, name=name, value=start, updated_at=func.now())
    upsert = stmt.on_conflict_do_update(
        index_elements=[table.c.partner, table.c.name],
        set_={"value": table.c.value + 1, "updated_at": func.now()},
    ).returning(table.c.value)
    return int(session.execute(upsert).scalar_one())


def peek(session: Session, partner: str, name: str) -> int | None:
    """The last value handed out (``None`` when the counter was never used)."""
    row = session.get(Counter, (partner, name))
    return None if row is None else row.value
