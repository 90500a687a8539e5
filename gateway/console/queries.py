"""The message list: filters, search and keyset pagination that stay fast on millions of rows.

Performance rules (the list must answer in well under 200 ms on a million messages):

- Pages are keyset-paginated by ``id`` (newest first): ``WHERE id < :before ORDER BY id DESC
  LIMIT n``. No OFFSET, ever.
- Totals are never ``COUNT(*)`` over the table. Unfiltered, the total is approximated from
  the primary key (``max(id) - min(id) + 1``); filtered on state and/or partner, it is counted
  through the ``(state, partner, created_at)`` / ``(partner, created_at)`` indexes and capped
  at :data:`COUNT_CAP` ("10,000+"). Other filters (direction, type, dates) are counted the
  same capped way over their own conditions: the type through ``message_types``, dates within
  their id bounds, a direction stops at the cap.
- The same capped count picks the plan: a *selective* state/partner filter (fewer than the
  cap) reads the matching ids through the index, sorts them and loads only the page's rows;
  a *common* one walks the primary key downwards with the filter as a plain predicate, which
  finds a page of matches at once. On SQLite the predicate is written ``state || ''`` so that
  the planner (which keeps no statistics unless ANALYZE runs) does not use the index and sort
  a huge range; PostgreSQL's planner has column statistics and chooses well by itself.
- Dates become id bounds first: ids grow with ``created_at``, so a binary search over the
  primary key (about 20 point reads) finds where a day starts; the exact ``created_at``
  predicate is kept, and the bound is widened by :data:`ID_SLACK` for rows written out of
  order by concurrent workers.
- The document-type filter reads ``message_types`` (type, message id), an index table the
  database keeps from each message's JSON ``document_types`` (migration 0005): the page walks
  that key newest first, so a rare or absent type costs a few index reads, not a table scan.
- Search (PO / shipment / invoice / RMA number, control number, filename, sha256, id) runs one
  indexed lookup per kind and ends as ``id IN (...)``. A message that failed before its
  documents were stored is found by reading the bytes of the newest :data:`FAILED_SCAN`
  failed messages (few, and small).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, literal
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from gateway.store.archive import Archive
from gateway.store.models import (
    Direction,
    Document,
    DocumentLine,
    DocumentMessage,
    Message,
    MessageState,
    MessageType,
)

_message_id = col(Message.id)

PAGE_SIZE = 50
COUNT_CAP = 10_000
SEARCH_CAP = 1_000
ID_SLACK = 1_000
FAILED_SCAN = 500
MAX_SCAN_BYTES = 4 << 20  # larger failed payloads are not read by a search
MIN_PAYLOAD_QUERY = 4

STATES = tuple(s.value for s in MessageState)
DIRECTIONS = tuple(d.value for d in Direction)
_DOC_TYPE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
_HEX = re.compile(r"^[0-9a-f]{8,64}$")


class FilterError(ValueError):
    """A filter value the list cannot use (shown to the user as is)."""


def parse_day(value: str, *, end: bool = False) -> datetime:
    """``YYYY-MM-DD`` (a UTC day; ``end`` gives the next midnight) or an ISO timestamp, as UTC."""
    value = value.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day + timedelta(days=1) if end else day, time(0), UTC)
        else:
            moment = datetime.fromisoformat(value)
            moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except ValueError:
        raise FilterError(f"not a date: {value!r} (use YYYY-MM-DD)") from None
    return moment


@dataclass(frozen=True)
class MessageFilter:
    """What the user asked the list for; every field optional."""

    partner: str | None = None
    direction: str | None = None
    state: str | None = None
    document_type: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    q: str | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> MessageFilter:
        """Read query-string arguments. Raises :class:`FilterError` for values that make no sense."""

        def arg(name: str) -> str | None:
            value = (args.get(name) or "").strip()
            return value or None

        direction, state, doc_type = arg("direction"), arg("state"), arg("type")
        if direction is not None and direction not in DIRECTIONS:
            raise FilterError(f"unknown direction {direction!r}")
        if state is not None and state not in STATES:
            raise FilterError(f"unknown state {state!r}")
        if doc_type is not None and not _DOC_TYPE.match(doc_type):
            raise FilterError(f"not a document type: {doc_type!r}")
        since, until = arg("since"), arg("until")
        q = arg("q")
        return cls(
            partner=arg("partner"),
            direction=direction,
            state=state,
            document_type=doc_type,
            since=parse_day(since) if since else None,
            until=parse_day(until, end=True) if until else None,
            q=q[:128] if q else None,
        )

    def as_args(self) -> dict[str, str]:
        """The filter as query-string arguments (for links to other pages of the same list)."""
        out = {
            "partner": self.partner,
            "direction": self.direction,
            "state": self.state,
            "type": self.document_type,
            "since": self.since.date().isoformat() if self.since else None,
            "until": (self.until - timedelta(days=1)).date().isoformat() if self.until else None,
            "q": self.q,
        }
        return {k: v for k, v in out.items() if v}

    @property
    def empty(self) -> bool:
        return not any(self.as_args())


@dataclass
class Page:
    """One page of messages, newest first, and how to reach the neighbours."""

    items: list[Message]
    older: int | None  # pass as ``before`` for the next (older) page
    newer: int | None  # pass as ``after`` for the previous (newer) page
    total: int | None  # None when counting would be slow
    total_capped: bool = False
    total_approximate: bool = False


# -- search ---------------------------------------------------------------------------------


def failed_payload_matches(session: Session, archive: Archive, q: str, scan: int = FAILED_SCAN) -> set[int]:
    """Ids among the newest ``scan`` failed messages whose archived bytes contain ``q``.

    A message that failed before its documents were stored has no PO number in the
    database; its bytes do. Failed messages are few, so reading them is cheap (payloads
    over :data:`MAX_SCAN_BYTES` are skipped).
    """
    needle = q.encode("utf-8")
    if len(needle) < MIN_PAYLOAD_QUERY:
        return set()
    newest = _ids(
        session,
        select(_message_id)
        .where(col(Message.state) == MessageState.FAILED.value)
        .order_by(_message_id.desc())
        .limit(scan),
    )
    query = select(_message_id, Message.sha256, Message.size).where(_message_id.in_(newest))
    rows = session.exec(query).all() if newest else []
    seen: dict[str, bool] = {}
    found = set()
    for ident, sha256, size in rows:
        if ident is None or size > MAX_SCAN_BYTES:
            continue
        if sha256 not in seen:
            try:
                seen[sha256] = needle in archive.read(sha256, verify=False)
            except (OSError, ValueError):
                seen[sha256] = False
        if seen[sha256]:
            found.add(ident)
    return found


def _ids(session: Session, query: Any) -> list[int]:
    """The non-null ids a one-column ``query`` returns."""
    return [int(ident) for ident in session.exec(query).all() if ident is not None]


def search_message_ids(
    session: Session, q: str, cap: int = SEARCH_CAP, archive: Archive | None = None
) -> list[int]:
    """Ids of messages behind a PO / shipment / invoice / RMA number, control number, filename,
    sha256 (prefix of 8+ hex digits) or message id; newest first, at most ``cap``. With an
    ``archive``, failed messages whose bytes contain ``q`` are found too."""
    q = q.strip()
    if not q:
        return []
    ids: set[int] = set()
    doc_ids: set[int] = set()
    for column in (Document.po_number, Document.shipment_id, Document.invoice_number, Document.rma_number):
        doc_ids.update(_ids(session, select(Document.id).where(col(column) == q).limit(cap)))
    line_docs = select(DocumentLine.document_id).where(col(DocumentLine.po_number) == q).limit(cap)
    doc_ids.update(_ids(session, line_docs))
    if doc_ids:
        wanted = sorted(doc_ids)[:cap]
        ids.update(
            _ids(
                session,
                select(DocumentMessage.message_id).where(col(DocumentMessage.document_id).in_(wanted)),
            )
        )
        ids.update(_ids(session, select(Document.source_message_id).where(col(Document.id).in_(wanted))))
    controls = {q}
    if q.isdigit() and len(q) < 9:
        controls.add(q.zfill(9))  # ISA13 is nine digits, people type it without the zeros
    ids.update(
        _ids(session, select(_message_id).where(col(Message.interchange_control).in_(controls)).limit(cap))
    )
    # filename and sha256: exact or prefix, as an index range (the same on SQLite and PostgreSQL)
    ids.update(_ids(session, _prefix(col(Message.filename), q, "\U0010ffff").limit(cap)))
    lowered = q.lower()
    if _HEX.match(lowered):
        ids.update(_ids(session, _prefix(col(Message.sha256), lowered, "g").limit(cap)))
    bare = q.removeprefix("#")
    if bare.isdigit() and len(bare) < 19:
        ids.update(_ids(session, select(_message_id).where(_message_id == int(bare))))
    if archive is not None:
        ids.update(failed_payload_matches(session, archive, q))
    return sorted(ids, reverse=True)[:cap]


def _prefix(column: Any, value: str, beyond: str) -> Any:
    """Ids whose ``column`` starts with ``value`` (``beyond`` sorts after every continuation)."""
    return select(_message_id).where(column >= value, column < value + beyond)


# -- the list -------------------------------------------------------------------------------


def _id_bounds(session: Session) -> tuple[int, int] | None:
    """The smallest and largest id: two queries, as SQLite reads ``min()`` or ``max()`` alone from
    the primary key but scans the table for both in one query."""
    high = session.exec(select(func.max(_message_id))).one()
    if high is None:
        return None
    low = session.exec(select(func.min(_message_id))).one()
    return int(low if low is not None else high), int(high)


def _created_at_of_first_from(session: Session, ident: int) -> tuple[int, datetime] | None:
    row = session.exec(
        select(_message_id, Message.created_at).where(_message_id >= ident).order_by(_message_id).limit(1)
    ).first()
    return None if row is None or row[0] is None else (int(row[0]), row[1])


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def first_id_from(session: Session, moment: datetime, bounds: tuple[int, int]) -> int:
    """The first id created at or after ``moment``, by binary search over the primary key."""
    low, high = bounds
    answer = high + 1
    while low <= high:
        mid = (low + high) // 2
        found = _created_at_of_first_from(session, mid)
        if found is None:
            high = mid - 1
            continue
        ident, created = found
        if _aware(created) >= moment:
            answer = min(answer, ident)
            high = mid - 1
        else:
            low = ident + 1
    return answer


def _plain(column: Any, value: str) -> ColumnElement[bool]:
    """``column = value`` written so that no index is used (``column || '' = value``)."""
    return col(column).concat(literal("")) == value


def _capped_count(session: Session, conditions: list[ColumnElement[bool]]) -> int:
    cap = COUNT_CAP
    inner = select(_message_id).where(*conditions).limit(cap + 1).subquery()
    return int(session.exec(select(func.count()).select_from(inner)).one())


@dataclass
class _Plan:
    """The conditions a filter becomes, split by whether an index serves them."""

    key: Any  # the column the page is ordered and keyed on
    indexed: list[ColumnElement[bool]]
    unindexed: list[ColumnElement[bool]]
    others: list[ColumnElement[bool]]  # date bounds and the unindexed ones
    dated_on_id: list[ColumnElement[bool]]


def _plan(session: Session, flt: MessageFilter, bounds: tuple[int, int]) -> _Plan:
    # A type filter walks the (type, message id) index instead of the primary key: the page's
    # order, keyset and id bounds are then written on message_types.message_id, which the
    # planner can read in order.
    key = col(MessageType.message_id) if flt.document_type else _message_id
    indexed: list[ColumnElement[bool]] = []
    if flt.state:
        indexed.append(col(Message.state) == flt.state)
    if flt.partner:
        indexed.append(col(Message.partner) == flt.partner)
    low = first_id_from(session, flt.since, bounds) - ID_SLACK if flt.since else None
    high = first_id_from(session, flt.until, bounds) + ID_SLACK if flt.until else None

    def dated_on(column: Any) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        if low is not None and flt.since is not None:
            out += [col(Message.created_at) >= flt.since, column >= low]
        if high is not None and flt.until is not None:
            out += [col(Message.created_at) < flt.until, column < high]
        return out

    unindexed: list[ColumnElement[bool]] = []
    if flt.direction:
        unindexed.append(col(Message.direction) == flt.direction)
    if flt.document_type:
        unindexed.append(col(MessageType.document_type) == flt.document_type)
        unindexed.append(col(MessageType.message_id) == _message_id)
    return _Plan(key, indexed, unindexed, [*dated_on(key), *unindexed], dated_on(_message_id))


def list_messages(
    session: Session,
    flt: MessageFilter,
    *,
    before: int | None = None,
    after: int | None = None,
    limit: int = PAGE_SIZE,
    archive: Archive | None = None,
) -> Page:
    """A page of messages matching ``flt``: older than ``before`` or newer than ``after``."""
    bounds = _id_bounds(session)
    if bounds is None:
        return Page([], None, None, 0)
    plan = _plan(session, flt, bounds)
    indexed, others = plan.indexed, plan.others
    total: int | None = None
    capped = approximate = selective_plan = False
    conditions: list[ColumnElement[bool]]
    if flt.q:
        ids = search_message_ids(session, flt.q, archive=archive)
        if not ids:
            return Page([], None, None, 0)
        conditions = [_message_id.in_(ids), *indexed, *others]
        if not indexed and not others:
            total = len(ids)
            capped = len(ids) >= SEARCH_CAP
    elif indexed:
        count = _capped_count(session, [*indexed, *plan.dated_on_id])
        selective = count <= COUNT_CAP
        if not plan.unindexed:
            total, capped = min(count, COUNT_CAP), not selective
        walk = [*_unindexed(flt), *others] if _is_sqlite(session) else [*indexed, *others]
        conditions = [*indexed, *others] if selective else walk
        selective_plan = selective
    else:
        conditions = others
        if not others:
            total, approximate = bounds[1] - bounds[0] + 1, True
    if total is None and not flt.q:
        count = _capped_count(session, [*indexed, *others])
        total, capped = min(count, COUNT_CAP), count > COUNT_CAP
    ids_first = bool(indexed) and not flt.q and not plan.unindexed and selective_plan
    rows, older, newer = _page(session, conditions, plan.key, before, after, limit, ids_first)
    return Page(rows, older, newer, total, total_capped=capped, total_approximate=approximate)


def _page(
    session: Session,
    conditions: list[ColumnElement[bool]],
    key: Any,
    before: int | None,
    after: int | None,
    limit: int,
    ids_first: bool,
) -> tuple[list[Message], int | None, int | None]:
    """The rows of a page and the keys of the older and newer pages (None where there is none)."""
    if after is not None:
        rows = _fetch(session, conditions, key > after, key.asc(), limit + 1, ids_first)
        has_newer = len(rows) > limit
        rows = list(reversed(rows[:limit]))
        has_older = bool(rows) and _exists(session, conditions, key, rows[-1].id)
    else:
        keyset = key < before if before is not None else None
        rows = _fetch(session, conditions, keyset, key.desc(), limit + 1, ids_first)
        has_older = len(rows) > limit
        rows = rows[:limit]
        has_newer = before is not None and bool(rows)
    older = rows[-1].id if rows and has_older else None
    newer = rows[0].id if rows and has_newer else None
    return rows, older, newer


def _fetch(
    session: Session,
    conditions: list[ColumnElement[bool]],
    keyset: ColumnElement[bool] | None,
    order: Any,
    limit: int,
    ids_first: bool,
) -> list[Message]:
    """The rows of one page. ``ids_first`` reads the ids from the index alone (SQLite keeps the
    rowid in every index, so no table row is touched while sorting) and then only the page's rows."""
    where = [*conditions, *([keyset] if keyset is not None else [])]
    if not ids_first:
        return list(session.exec(select(Message).where(*where).order_by(order).limit(limit)))
    ids = _ids(session, select(_message_id).where(*where).order_by(order).limit(limit))
    if not ids:
        return []
    found = {m.id: m for m in session.exec(select(Message).where(_message_id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _unindexed(flt: MessageFilter) -> list[ColumnElement[bool]]:
    out = []
    if flt.state:
        out.append(_plain(Message.state, flt.state))
    if flt.partner:
        out.append(_plain(Message.partner, flt.partner))
    return out


def _exists(session: Session, conditions: list[ColumnElement[bool]], key: Any, below: int | None) -> bool:
    if below is None:
        return False
    return session.exec(select(_message_id).where(*conditions, key < below).limit(1)).first() is not None


def with_filter(flt: MessageFilter, **changes: Any) -> MessageFilter:
    return replace(flt, **changes)


def related_messages(session: Session, message: Message, limit: int = 50) -> list[Message]:
    """Messages linked to ``message``: its duplicate/replay/ack links, and those touching its documents.

    (Links pointing *to* this message are not searched: those columns have no index.)
    """
    ids: set[int] = set()
    for ident in (message.duplicate_of_id, message.replay_of_id, message.ack_message_id):
        if ident is not None:
            ids.add(ident)
    doc_ids = session.exec(
        select(DocumentMessage.document_id).where(DocumentMessage.message_id == message.id)
    ).all()
    if doc_ids:
        ids.update(
            session.exec(
                select(DocumentMessage.message_id)
                .where(col(DocumentMessage.document_id).in_(doc_ids))
                .limit(limit)
            ).all()
        )
    ids.discard(message.id)  # type: ignore[arg-type]
    if not ids:
        return []
    return list(
        session.exec(
            select(Message)
            .where(col(Message.id).in_(sorted(ids)))
            .order_by(col(Message.id).desc())
            .limit(limit)
        )
    )


__all__ = [
    "COUNT_CAP",
    "DIRECTIONS",
    "PAGE_SIZE",
    "STATES",
    "FilterError",
    "MessageFilter",
    "Page",
    "list_messages",
    "parse_day",
    "related_messages",
    "search_message_ids",
]
