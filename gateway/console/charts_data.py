"""The numbers behind the console's charts: one query per chart, each returning a :class:`Table`.

A table is what the page shows beside its chart and what its CSV export holds, so the picture,
the table and the download can never disagree. Counts and sums run in the database, grouped by
a UTC day or week written for the engine at hand (SQLite ``date()``, PostgreSQL
``date_trunc``); only what needs a rule from below is finished in Python: quantities in eaches
(:func:`gateway.orders.quantities.eaches`, the one place that turns cases into eaches) and the
credit-note kind and FC that sit in a document's JSON.

Every query looks back over a window (``days``, default :data:`WINDOW_DAYS`) ending ``today``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, case, cast, func, literal_column
from sqlmodel import Session, col, select

from gateway.orders.quantities import eaches
from gateway.store.models import Discrepancy, Document, DocumentLine, Message, MessageState, utcnow

WINDOW_DAYS = 30
#: Discrepancy kinds whose money is a shortage claim Amazon will (or did) make.
SHORTAGE_KINDS = ("shortage", "invoiced_over_shipped", "invoiced_past_received")
ZERO = Decimal(0)


@dataclass(frozen=True)
class Table:
    """The rows of one chart, with its column names (the first column is the x axis)."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def _start(today: date | None, days: int) -> tuple[date, datetime]:
    today = today or utcnow().date()
    first = today - timedelta(days=days - 1)
    return first, datetime.combine(first, time(0)).replace(tzinfo=utcnow().tzinfo)


def _day(session: Session, column: Any) -> Any:
    """``column`` (a UTC timestamp) as its day, in SQL the engine understands."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def messages_per_day(session: Session, today: date | None = None, days: int = WINDOW_DAYS) -> Table:
    """Messages received or sent per day and partner, and how many of them failed."""
    _, since = _start(today, days)
    day = _day(session, col(Message.created_at))
    failed = func.sum(case((col(Message.state) == MessageState.FAILED.value, 1), else_=0))
    partner = func.coalesce(col(Message.partner), literal_column("'(unknown)'"))
    rows = session.exec(
        select(day, partner, func.count(), failed)
        .where(col(Message.created_at) >= since)
        .group_by(day, partner)
        .order_by(day, partner)
    ).all()
    return Table(
        "messages",
        "Messages and failures per day by partner",
        ("day", "partner", "messages", "failed"),
        [(_as_date(d), p, int(n), int(f or 0)) for d, p, n, f in rows],
    )


def money_at_risk(session: Session, today: date | None = None, days: int = WINDOW_DAYS) -> Table:
    """Per day and currency: money at risk raised by new discrepancies, and recovered by resolved ones."""
    _, since = _start(today, days)
    raised_day = _day(session, col(Discrepancy.created_at))
    resolved_day = _day(session, col(Discrepancy.resolved_at))
    amount = func.sum(col(Discrepancy.amount_at_risk))
    with_money = col(Discrepancy.amount_at_risk).is_not(None)
    totals: dict[tuple[date, str], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    raised = session.exec(
        select(raised_day, Discrepancy.currency, amount)
        .where(with_money, col(Discrepancy.created_at) >= since)
        .group_by(raised_day, col(Discrepancy.currency))
    ).all()
    for d, currency, value in raised:
        totals[(_as_date(d), currency or "")][0] += Decimal(value or 0)
    recovered = session.exec(
        select(resolved_day, Discrepancy.currency, amount)
        .where(with_money, col(Discrepancy.status) == "resolved", col(Discrepancy.resolved_at) >= since)
        .group_by(resolved_day, col(Discrepancy.currency))
    ).all()
    for d, currency, value in recovered:
        totals[(_as_date(d), currency or "")][1] += Decimal(value or 0)
    return Table(
        "money",
        "Money at risk and recovered per day",
        ("day", "currency", "at_risk", "recovered"),
        [(d, c, a, r) for (d, c), (a, r) in sorted(totals.items())],
    )


def invoice_states(session: Session, today: date | None = None, days: int = WINDOW_DAYS) -> Table:
    """Invoices and credit notes by state: how many, and their total per currency (all time)."""
    rows = session.exec(
        select(col(Document.status), col(Document.currency), col(Document.total), Document.data).where(
            col(Document.type) == "invoice"
        )
    ).all()
    totals: dict[tuple[str, str, str], list[Any]] = defaultdict(lambda: [0, ZERO])
    for status, currency, total, data in rows:
        kind = str((data or {}).get("kind") or "invoice")
        entry = totals[(status or "(none)", kind, currency or "")]
        entry[0] += 1
        entry[1] += Decimal(total or 0)
    return Table(
        "invoices",
        "Invoices and credit notes by state",
        ("state", "kind", "currency", "documents", "total"),
        [(s, k, c, n, t) for (s, k, c), (n, t) in sorted(totals.items())],
    )


def _sku(line: DocumentLine) -> str:
    return line.vendor_sku or line.asin or line.ean or line.upc or line.buyer_sku or "(no id)"


def return_rate(session: Session, today: date | None = None, days: int = WINDOW_DAYS) -> Table:
    """Per marketplace (partner) and SKU: eaches shipped and returned, and the share returned."""
    first, _ = _start(today, days)
    rows = session.exec(
        select(DocumentLine, Document.type, Document.partner)
        .join(Document, col(Document.id) == DocumentLine.document_id)
        .where(
            col(Document.type).in_(["shipment", "return_authorization"]),
            col(Document.document_date) >= first,
        )
    ).all()
    shipped: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    returned: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for line, kind, partner in rows:
        quantity = eaches(line.quantity, line.uom, line.case_size)  # a case of unknown size: not counted
        if quantity is None:
            continue
        bucket = returned if kind == "return_authorization" else shipped
        bucket[(partner, _sku(line))] += quantity
    out = []
    for key in sorted(set(shipped) | set(returned)):
        ship, back = shipped.get(key, ZERO), returned.get(key, ZERO)
        rate = (back / ship * 100).quantize(Decimal("0.1")) if ship else None
        out.append((key[0], key[1], ship, back, rate))
    return Table(
        "returns",
        "Return rate by SKU and marketplace",
        ("marketplace", "sku", "shipped", "returned", "rate_percent"),
        out,
    )


def po_volume(session: Session, today: date | None = None, days: int = 12 * 7) -> Table:
    """Purchase orders per week (Monday) of their order date: how many, and the eaches ordered."""
    first, _ = _start(today, days)
    rows = session.exec(
        select(col(Document.id), col(Document.document_date), DocumentLine)
        .join(DocumentLine, col(DocumentLine.document_id) == Document.id, isouter=True)
        .where(col(Document.type) == "purchase_order", col(Document.document_date) >= first)
    ).all()
    orders: dict[date, set[int]] = defaultdict(set)
    units: dict[date, Decimal] = defaultdict(Decimal)
    for doc_id, when, line in rows:
        if when is None or doc_id is None:
            continue
        week = _monday(when)
        orders[week].add(doc_id)
        if line is not None:
            units[week] += eaches(line.quantity, line.uom, line.case_size) or ZERO
    return Table(
        "po_volume",
        "PO volume and units by week",
        ("week", "purchase_orders", "units"),
        [(w, len(orders[w]), units[w]) for w in sorted(orders)],
    )


def _po_places(session: Session, numbers: set[str]) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """For POs by number: the FC each ships to, and the SKU of each (PO, line number)."""
    if not numbers:
        return {}, {}
    docs = session.exec(
        select(Document.id, Document.po_number, Document.data).where(
            col(Document.type) == "purchase_order", col(Document.po_number).in_(sorted(numbers))
        )
    ).all()
    fc = {str(n): str((data or {}).get("ship_to_location") or "(no FC)") for _, n, data in docs}
    by_id = {i: str(n) for i, n, _ in docs}
    lines = session.exec(select(DocumentLine).where(col(DocumentLine.document_id).in_(list(by_id)))).all()
    skus = {(by_id[ln.document_id], ln.line_no): _sku(ln) for ln in lines}
    return fc, skus


def _shortages(session: Session, today: date | None, days: int) -> list[tuple[str, str, str, Decimal]]:
    """(FC, SKU, currency, amount) of each shortage discrepancy raised in the window."""
    _, since = _start(today, days)
    rows = session.exec(
        select(Discrepancy).where(
            col(Discrepancy.kind).in_(SHORTAGE_KINDS),
            col(Discrepancy.amount_at_risk).is_not(None),
            col(Discrepancy.created_at) >= since,
        )
    ).all()
    fc, skus = _po_places(session, {r.po_number for r in rows if r.po_number})
    out = []
    for r in rows:
        po = r.po_number or ""
        sku = skus.get((po, r.line_no or "")) or str((r.detail or {}).get("sku") or "(no SKU)")
        out.append((fc.get(po, "(no FC)"), sku, r.currency or "", Decimal(r.amount_at_risk or 0)))
    return out


def _sum_by(items: list[tuple[str, str, Decimal]]) -> list[tuple[str, str, Decimal, int]]:
    sums: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [ZERO, 0])
    for key, currency, amount in items:
        sums[(key, currency)][0] += amount
        sums[(key, currency)][1] += 1
    return [(k, c, v, n) for (k, c), (v, n) in sorted(sums.items())]


def shortage_by_fc(session: Session, today: date | None = None, days: int = WINDOW_DAYS) -> Table:
    """Shortage value per fulfilment centre (the PO's ship-to) and currency."""
    items = [(f, c, a) for f, _, c, a in _shortages(session, today, days)]
    return Table(
        "shortage_fc",
        "Shortage value by FC",
        ("fc", "currency", "value", "discrepancies"),
        _sum_by(items),
    )


def shortage_by_sku(session: Session, today: date | None = None, days: int = WINDOW_DAYS) -> Table:
    """Shortage value per SKU (the PO line's item) and currency."""
    items = [(s, c, a) for _, s, c, a in _shortages(session, today, days)]
    return Table(
        "shortage_sku",
        "Shortage value by SKU",
        ("sku", "currency", "value", "discrepancies"),
        _sum_by(items),
    )
