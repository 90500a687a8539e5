"""The ship notice re-checked at the moment it is sent: one that would now break a rule is held.

A ship notice is checked when it is queued (:mod:`gateway.shipping.send`); the outbox sends the
bytes archived then. Meanwhile a second ASN of the same PO may push it past the confirmed
quantity, the PO may be changed (its delivery window) or another notice may take its SSCCs.
:func:`recheck` is the ship notice's record check for
:func:`gateway.invoicing.at_send.prepare_for_send`: the notice is drafted again from the
warehouse's ASN and the PO as stored now (:func:`gateway.shipping.send.draft_notice`) and runs
every rule of :func:`gateway.shipping.checks.ship_notice_reasons` (its own record and SSCCs do
not count as "sent before"). With a reason, ``prepare_for_send`` moves the record and its
message to ``blocked``, audited.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from gateway.config import PartnerDirectory
from gateway.invoicing.at_send import HeldRecords
from gateway.invoicing.checks import Reason
from gateway.shipping.checks import Context, ship_notice_reasons
from gateway.shipping.send import ShipNoticeError, draft_notice
from gateway.store.models import Message, ShipNoticeRecord


def recheck(
    session: Session, partners: PartnerDirectory, message: Message, now: datetime
) -> HeldRecords | None:
    """The reasons the ship notices ``message`` carries must not leave now (``None``: it carries none)."""
    records = list(
        session.exec(select(ShipNoticeRecord).where(ShipNoticeRecord.message_id == message.id)).all()
    )
    if not records:
        return None
    held = HeldRecords("ship_notice", records)
    for record in records:
        try:
            draft, po = draft_notice(session, partners, record.source_shipment_id)
        except ShipNoticeError as exc:
            held.reasons.append(Reason("document_unreadable", str(exc)))
            continue
        profile = partners.get(po.row.partner)
        ctx = Context(po.row.partner, profile.rules, now.date(), profile.standard, record_id=record.id)
        held.reasons += ship_notice_reasons(session, draft, ctx)
    return held
