"""Per-partner counters: control numbers and invoice numbers that are never handed out twice.

One statement does the whole increment, so no two workers can read the same value:

``INSERT INTO counters (partner, name, value) VALUES (:p, :n, :start)
ON CONFLICT (partner, name) DO UPDATE SET value = counters.value + 1 RETURNING value``

PostgreSQL takes a row lock for the update (a concurrent worker waits for the commit and
then sees the new value); SQLite (3.35+) runs it under its single writer lock. The value
is consumed by the caller's transaction: if it rolls back, the number is free again,
and if it commits, the number is gone for ever (a gap is possible when a caller commits
the number but not what used it; a reuse never is).

:func:`next_values` reserves several counters of one partner, and several numbers of each, in the
same one statement (one ``INSERT ... VALUES (...), (...) ON CONFLICT DO UPDATE ... RETURNING``): the
ISA, GS and ST of an outbound interchange cost one round trip, not three. Its rows are written in
the order given, so its row locks are taken in the order the callers took them one by one (ST,
then GS, then ISA), and no new lock order between workers appears.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import bindparam, func, text
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
    upsert = _statement(session, 0)
    with session.no_autoflush:  # the counter alone: the session's other changes wait for their flush
        return int(session.execute(upsert, {"partner": partner, "name": name, "start": start}).scalar_one())


def next_values(session: Session, partner: str, counts: Mapping[str, int]) -> dict[str, list[int]]:
    """Reserve ``counts[name]`` consecutive numbers of each counter ``name`` of ``partner`` in one
    statement; each counter's numbers, in increasing order (a new counter starts at 1).

    ``{"st": 2, "gs": 1, "isa": 1}`` gives e.g. ``{"st": [7, 8], "gs": [5], "isa": [5]}``, the
    same numbers :func:`next_value` called four times would give. Counters are taken in the
    order of ``counts``. Runs in the session's transaction; the caller commits. Raises
    :class:`ValueError` for a count below 1.
    """
    if any(n < 1 for n in counts.values()):
        raise ValueError(f"counts must be at least 1: {dict(counts)}")
    if not counts:
        return {}
    upsert = _statement(session, len(counts))
    params: dict[str, Any] = {"partner": partner}
    for i, (name, n) in enumerate(counts.items()):
        params[f"name_{i}"], params[f"value_{i}"] = name, n
    with session.no_autoflush:  # the counters alone (an autoflush here wrote the message a 997 answers)
        last = {str(name): int(value) for name, value in session.execute(upsert, params).all()}
    return {name: list(range(last[name] - n + 1, last[name] + 1)) for name, n in counts.items()}


#: (dialect, rows) -> the upsert, built once with bound parameters (0 rows: :func:`next_value`'s):
#: SQLAlchemy's compiled cache then hits at once, with no statement built and keyed a call
_STATEMENTS: dict[tuple[str, int], Any] = {}


def _statement(session: Session, rows: int) -> Any:
    """The upsert of :func:`next_value` (``rows`` 0) or of :func:`next_values` for ``rows`` counters."""
    dialect = session.get_bind().dialect.name
    statement = _STATEMENTS.get((dialect, rows))
    if statement is not None:
        return statement
    insert = _insert(session)
    table = Counter.__table__  # type: ignore[attr-defined]
    keys = [table.c.partner, table.c.name]
    if rows == 0:
        stmt = insert(table).values(
            partner=bindparam("partner"),
            name=bindparam("name"),
            value=bindparam("start"),
            updated_at=func.now(),
        )
        statement = stmt.on_conflict_do_update(
            index_elements=keys, set_={"value": table.c.value + 1, "updated_at": func.now()}
        ).returning(table.c.value)
    else:
        values = [
            {
                "partner": bindparam("partner", type_=table.c.partner.type),
                "name": bindparam(f"name_{i}", type_=table.c.name.type),
                "value": bindparam(f"value_{i}", type_=table.c.value.type),
                "updated_at": func.now(),
            }
            for i in range(rows)
        ]
        stmt = insert(table).values(values)
        upsert = stmt.on_conflict_do_update(
            index_elements=keys, set_={"value": table.c.value + stmt.excluded.value, "updated_at": func.now()}
        ).returning(table.c.name, table.c.value)
        # SQLAlchemy does not cache a many-row VALUES (each execution compiled it again, about 150
        # µs): its SQL is rendered once, with named parameters, and run as text from then on
        named: Any = type(session.get_bind().dialect)
        named = named(paramstyle="named")
        sql = str(upsert.compile(dialect=named))  # PostgreSQL's casts (``:name_0::VARCHAR``) escaped
        statement = text(sql.replace("::", "\\:\\:"))
    _STATEMENTS[(dialect, rows)] = statement
    return statement


def _insert(session: Session) -> Callable[..., Any]:
    """The dialect's ``insert`` (with ``on_conflict_do_update``)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"counters need SQLite or PostgreSQL, not {dialect}")  # pragma: no cover


def peek(session: Session, partner: str, name: str) -> int | None:
    """The last value handed out (``None`` when the counter was never used)."""
    row = session.get(Counter, (partner, name))
    return None if row is None else row.value
