"""The availability feed that applies to a partner: the latest one its source has sent.

The rule, explicit and simple: an Amazon account's profile names the partner (the vendor's ERP
or warehouse) whose feeds apply to it, ``rules.availability.source_partner``; without one, the
partner's own feeds apply. Of that partner's stored ``availability`` documents the latest by
``as_of`` counts (a naive ``as_of`` read as UTC; of two with the same moment, the one stored
last). The PO acknowledgement's decisions and the 846 both read it here.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, col, select

from gateway.canonical.availability import Availability
from gateway.config import PartnerProfile
from gateway.store.models import Document


def availability_source(profile: PartnerProfile) -> str:
    """The partner whose feeds apply to ``profile``'s partner (its own name when none is set)."""
    return profile.rules.availability.source_partner or profile.name


def latest_availability(
    session: Session, partner_id: str, source_partner: str | None = None
) -> Availability | None:
    """The latest availability feed of ``source_partner`` (default ``partner_id`` itself).

    Pass :func:`availability_source` of the partner's profile as ``source_partner``. ``None``
    when that partner has sent no feed.
    """
    source = source_partner or partner_id
    rows = session.exec(
        select(Document)
        .where(Document.partner == source, Document.type == "availability")
        .order_by(col(Document.id))
    ).all()
    feeds = [(Availability.model_validate(row.data), int(row.id or 0)) for row in rows]
    if not feeds:
        return None
    return max(feeds, key=lambda pair: (_utc(pair[0].as_of), pair[1]))[0]


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
