"""The ship notice re-checked at the moment it is sent: one that would now break a rule is held.

A ship notice is checked when it is queued (:mod:`gateway.shipping.send`); the outbox sends the
bytes archived then. Meanwhile a second ASN of the same PO may push it past the confirmed
quantity, the PO may be changed (its delivery window), another notice may take its SSCCs, or the
warehouse may replace its ASN. :func:`recheck` is the ship notice's record check for
:func:`gateway.invoicing.at_send.prepare_for_send`: the notice is drafted again from the
warehouse's ASN and the PO as stored now (:func:`gateway.shipping.send.draft_notice`) and runs
every rule of :func:`gateway.shipping.checks.ship_notice_reasons` (its own record and SSCCs do
not count as "sent before"). With a reason, ``prepare_for_send`` moves the record and its
message to ``blocked``, audited. Without, the queued bytes are read back with our reader; when
they no longer state the notice of now (the warehouse's ASN was replaced), the notice is
rendered again with fresh labels and SSCC records, and the message sends the new bytes.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from gateway.canonical import Shipment
from gateway.canonical.ship_notice import as_sent, ship_notice
from gateway.config import PartnerDirectory
from gateway.edi import parse
from gateway.invoicing.at_send import HeldRecords
from gateway.invoicing.checks import Reason
from gateway.mapping.errors import TranslationError
from gateway.mapping.registry import MappingRegistry
from gateway.outbound.render import RenderError, render_edi
from gateway.shipping.checks import Context, ship_notice_reasons
from gateway.shipping.send import ShipNoticeError, draft_of, label_and_record
from gateway.store.archive import Archive
from gateway.store.models import Message, ShipNoticeRecord


def _states(data: bytes, mappings: MappingRegistry, notice: Shipment) -> bool:
    """Whether ``data`` (the queued bytes) reads back to ``notice`` with our own reader."""
    parsed = parse(data)
    if not parsed.ok or len(parsed.transactions) != 1:
        return False
    try:
        back = mappings.translate(parsed.transactions[0])
    except (TranslationError, ValueError):
        return False
    return isinstance(back, Shipment) and back.model_dump(exclude={"partner"}) == notice.model_dump(
        exclude={"partner"}
    )


def recheck(
    session: Session,
    partners: PartnerDirectory,
    mappings: MappingRegistry,
    archive: Archive,
    message: Message,
    now: datetime,
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
            drafted = draft_of(session, partners, record.source_shipment_id)
        except ShipNoticeError as exc:
            held.reasons.append(Reason("document_unreadable", str(exc)))
            continue
        draft, po = drafted.notice, drafted.po
        profile = partners.get(po.row.partner)
        ctx = Context(po.row.partner, profile.rules, now.date(), profile.standard, record_id=record.id)
        # the notice's own record is the only one of its partner and shipment id (unique), when
        # it still has that key: the 365-day check's "sent before" is then looked for in hand
        own = (record.partner, record.shipment_id) == (ctx.partner, draft.shipment_id)
        held.reasons += ship_notice_reasons(session, draft, ctx, drafted.bundles, [record] if own else None)
        notice = as_sent(draft)
        if held.reasons or len(records) != 1 or _states(archive.read(message.sha256), mappings, notice):
            continue
        x12 = profile.standard == "x12"
        version = profile.rules.ship_notice.x12_version if x12 else profile.version
        try:
            held.payload = render_edi(session, mappings, profile, ship_notice(notice), "ship_notice", version)
        except RenderError as exc:
            held.reasons.append(Reason("document_unreadable", f"ship notice {notice.shipment_id} {exc}"))
            continue
        held.payload.document_types = ["shipment"]
        held.note = f"ship notice {notice.shipment_id} changed (the warehouse's ASN was replaced)"
        label_and_record(session, archive, record, notice, po.doc.po_number)
    return held
