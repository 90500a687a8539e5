"""Keyset pages for the console's short lists (discrepancies, invoices, audit, POs, users).

A list is a query filtered by equality on a few request arguments, ordered by its id
newest first and cut into pages with ``WHERE id < :before`` (older) or ``id > :after``
(newer): no OFFSET. The count shown beside it is capped at :data:`COUNT_CAP` so that a
large table never costs a full count. :func:`every_row` walks the same keyset in batches for
a CSV export (at most :data:`EXPORT_CAP` rows).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import request
from sqlalchemy import func
from sqlmodel import Session, col, select

from gateway.console.context import whole_number

PAGE = 50
COUNT_CAP = 10_000
EXPORT_CAP = 100_000
EXPORT_BATCH = 500


@dataclass
class Listing:
    """One page of rows (newest first), the keys of its neighbours and the capped total."""

    rows: list[Any]
    older: int | None
    newer: int | None
    total: int
    capped: bool


def query_args(names: Sequence[str]) -> dict[str, str]:
    """The named query-string arguments, stripped ('' when absent)."""
    return {name: (request.args.get(name) or "").strip() for name in names}


def where_equal(query: Any, columns: Mapping[str, Any], args: Mapping[str, str]) -> Any:
    """``query`` narrowed to ``column == value`` for each argument given a value."""
    for name, column in columns.items():
        if args.get(name):
            query = query.where(col(column) == args[name])
    return query


def _key(name: str) -> int | None:
    return whole_number(request.args.get(name, ""))


def keyset(session: Session, query: Any, key: Any, size: int = PAGE) -> Listing:
    """The page of ``query`` that the request's ``before`` / ``after`` arguments ask for."""
    key = col(key)
    inner = query.with_only_columns(key).order_by(None).limit(COUNT_CAP + 1).subquery()
    total = int(session.exec(select(func.count()).select_from(inner)).one())
    before, after = _key("before"), _key("after")
    if after is not None:
        rows = list(session.exec(query.where(key > after).order_by(key.asc()).limit(size + 1)))
        newer_exists, rows = len(rows) > size, list(reversed(rows[:size]))
        older_exists = (
            bool(rows) and session.exec(query.where(key < rows[-1].id).limit(1)).first() is not None
        )
    else:
        if before is not None:
            query = query.where(key < before)
        rows = list(session.exec(query.order_by(key.desc()).limit(size + 1)))
        older_exists, rows = len(rows) > size, rows[:size]
        newer_exists = before is not None and bool(rows)
    return Listing(
        rows=rows,
        older=rows[-1].id if rows and older_exists else None,
        newer=rows[0].id if rows and newer_exists else None,
        total=min(total, COUNT_CAP),
        capped=total > COUNT_CAP,
    )


def every_row(
    session: Session, query: Any, key: Any, *, batch: int = EXPORT_BATCH, cap: int = EXPORT_CAP
) -> Iterator[Any]:
    """Every row of ``query``, newest first, read in keyset batches (for exports), at most ``cap``."""
    key = col(key)
    before: int | None = None
    sent = 0
    while sent < cap:
        page = query if before is None else query.where(key < before)
        rows = list(session.exec(page.order_by(key.desc()).limit(min(batch, cap - sent))))
        yield from rows
        sent += len(rows)
        if len(rows) < batch:
            return
        before = rows[-1].id
