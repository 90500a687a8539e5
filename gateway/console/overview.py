"""Aggregates for the dashboard and ``/metrics``, each read through an index.

Activity (last day and week) is counted per partner through the ``(partner, created_at)``
index, grouped by state and document-type list in the database; messages with no partner
(unknown senders) are counted the same way. Totals by state for ``/metrics`` are one
``GROUP BY state, partner``, which the ``(state, partner, created_at)`` index covers.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import String, case, cast, func
from sqlmodel import Session, col, select

from gateway.store.models import Discrepancy, MailboxStatus, Message, Worker, utcnow

COUNT_CAP = 10_000


@dataclass
class Tally:
    """Message counts over one period."""

    total: int = 0
    by_state: Counter[str] = field(default_factory=Counter)
    by_partner: Counter[str] = field(default_factory=Counter)
    by_type: Counter[str] = field(default_factory=Counter)
    by_partner_state: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, partner: str, state: str, types: list[str], count: int) -> None:
        self.total += count
        self.by_state[state] += count
        self.by_partner[partner] += count
        self.by_partner_state[(partner, state)] += count
        for doc_type in types or ["(none)"]:
            self.by_type[doc_type] += count


@dataclass
class Activity:
    day: Tally
    week: Tally
    partners: list[str]


def known_partners(session: Session, profile_names: Iterable[str]) -> list[str]:
    """Partners from the profiles and from the mailbox table (a removed profile still shows)."""
    names = set(profile_names)
    names.update(p for p in session.exec(select(MailboxStatus.partner).distinct()).all() if p)
    return sorted(names)


def _types(raw: str | None) -> list[str]:
    if not raw:
        return []
    try:
        value = json.loads(raw)
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def activity(session: Session, partners: list[str], now: datetime | None = None) -> Activity:
    """Counts by state, partner and document type for the last 24 hours and the last 7 days."""
    now = now or utcnow()
    day_start, week_start = now - timedelta(days=1), now - timedelta(days=7)
    recent = case((col(Message.created_at) >= day_start, 1), else_=0)
    types = cast(Message.document_types, String)
    day, week = Tally(), Tally()
    for partner in [*partners, None]:
        where = Message.partner == partner if partner is not None else col(Message.partner).is_(None)
        rows = session.exec(
            select(recent, Message.state, types, func.count())
            .where(where, Message.created_at >= week_start)
            .group_by(recent, Message.state, types)
        ).all()
        label = partner or "(unknown)"
        for is_recent, state, raw_types, count in rows:
            doc_types = _types(raw_types)
            week.add(label, state, doc_types, int(count))
            if is_recent:
                day.add(label, state, doc_types, int(count))
    return Activity(day, week, partners)


def mailboxes(session: Session) -> list[MailboxStatus]:
    return list(session.exec(select(MailboxStatus).order_by(MailboxStatus.partner, MailboxStatus.mailbox)))


def open_discrepancies(session: Session, limit: int = 10) -> tuple[list[Discrepancy], int]:
    """The newest open discrepancies and how many are open (capped at :data:`COUNT_CAP`)."""
    rows = list(
        session.exec(
            select(Discrepancy)
            .where(Discrepancy.status == "open")
            .order_by(col(Discrepancy.id).desc())
            .limit(limit)
        )
    )
    inner = select(Discrepancy.id).where(Discrepancy.status == "open").limit(COUNT_CAP + 1).subquery()
    count = int(session.exec(select(func.count()).select_from(inner)).one())
    return rows, count


def messages_by_state(session: Session) -> list[tuple[str, str, int]]:
    """(state, partner, count) over every message (for ``/metrics``)."""
    rows = session.exec(
        select(Message.state, Message.partner, func.count()).group_by(
            col(Message.state), col(Message.partner)
        )
    ).all()
    return [(state, partner or "", int(count)) for state, partner, count in rows]


def discrepancies_by_status(session: Session) -> list[tuple[str, str, int]]:
    rows = session.exec(
        select(Discrepancy.status, Discrepancy.partner, func.count()).group_by(
            Discrepancy.status, Discrepancy.partner
        )
    ).all()
    return [(status, partner, int(count)) for status, partner, count in rows]


def workers(session: Session) -> list[Worker]:
    return list(session.exec(select(Worker).order_by(col(Worker.heartbeat_at).desc())))
