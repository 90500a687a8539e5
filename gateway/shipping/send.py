"""Sending a ship notice: the warehouse's ASN as we tell Amazon, checked, rendered and queued.

:func:`send_ship_notice` takes a stored ``shipment`` (what the warehouse reported), keeps its
cartons, SSCCs, carrier and dates, and puts the PO's ship-to FC and our ship-from on it
(:func:`notice_from`). The pre-check (:mod:`gateway.shipping.checks`) runs on the notice as
it would leave; with any reason the notice is recorded ``blocked`` with them and nothing is
queued. Otherwise it is rendered through the partner's outbound mapping (X12 856 in the
version of ``rules.ship_notice.x12_version``, EDIFACT DESADV D96A), wrapped in an
interchange with the partner's control numbers, queued through its mailbox, its SSCCs
recorded for the 365-day uniqueness rule, and its carton labels (PDF) archived beside it.
A notice queued once, or cancelled by an operator (:mod:`gateway.shipping.review`), is not
built again (a replay of the warehouse's ASN sends nothing). All in the caller's transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import insert
from sqlmodel import Session, select

from gateway.canonical import Party, PurchaseOrder, Shipment
from gateway.canonical.ship_notice import as_sent, ship_notice
from gateway.config import PartnerDirectory
from gateway.invoicing.build import find_shipment
from gateway.invoicing.checks import Reason
from gateway.mapping.registry import MappingRegistry
from gateway.orders.book import Loaded, PoBundle, load_bundles
from gateway.outbound.render import RenderError, render_and_queue
from gateway.shipping.checks import Context, ship_notice_reasons
from gateway.store.archive import Archive
from gateway.store.models import ShipNoticeRecord, SsccUse, utcnow

log = logging.getLogger(__name__)


#: a notice in one of these states is not built again (queued: never twice; cancelled by an operator)
SETTLED = frozenset({"queued", "cancelled"})


class ShipNoticeError(Exception):
    """A ship notice that cannot be built (no such shipment, no PO, no partner): the message says why."""


@dataclass
class Outcome:
    """What became of one ship notice."""

    record: ShipNoticeRecord
    notice: Shipment
    reasons: list[Reason] = field(default_factory=list)

    @property
    def queued(self) -> bool:
        return self.record.status == "queued"


def notice_from(warehouse: Shipment, fc: str | None, ship_from: Party | None) -> Shipment:
    """The notice we send of ``warehouse``'s shipment: its cartons, carrier and dates, the PO's FC."""
    data = warehouse.model_dump()
    parties = [p for p in data["parties"] if p["role"] in ("ship_from", "ship_to")]
    if ship_from is not None and not any(p["role"] == "ship_from" for p in parties):
        parties.insert(0, ship_from.model_dump())
    if fc:
        parties = [p for p in parties if p["role"] != "ship_to"]
        parties.append({"role": "ship_to", "id": fc, "id_qualifier": "92"})
        data["ship_to_location"] = fc
    data["parties"] = parties
    data["purpose"] = data["purpose"] or "original"  # BSN01 00 / BGM03 9
    return Shipment.model_validate(data)


@dataclass(frozen=True, slots=True)
class Draft:
    """The notice we would send now, its (first stored) PO, and the order book of each of its POs
    as loaded for it (for the pre-check that follows in the same transaction)."""

    notice: Shipment
    po: Loaded[PurchaseOrder]
    bundles: dict[str, PoBundle]


def draft_notice(
    session: Session, partners: PartnerDirectory, shipment_id: str
) -> tuple[Shipment, Loaded[PurchaseOrder]]:
    """The notice we would send now of stored shipment ``shipment_id``, and its (first stored) PO.

    Raises :class:`ShipNoticeError` when the shipment, its PO or the PO's partner is unknown.
    """
    draft = draft_of(session, partners, shipment_id)
    return draft.notice, draft.po


def draft_of(
    session: Session,
    partners: PartnerDirectory,
    shipment_id: str,
    known: Mapping[str, PoBundle] | None = None,
) -> Draft:
    """:func:`draft_notice` with the order books it loaded (``known``: those the caller loaded a
    moment ago in this transaction, not loaded again)."""
    try:
        source = find_shipment(session, shipment_id).doc
    except Exception as exc:  # InvoicingError: the lookup's own message
        raise ShipNoticeError(str(exc)) from None
    numbers = [o.po_number for o in source.orders]
    known = known or {}
    loaded = load_bundles(session, [n for n in numbers if n not in known])
    bundles = {n: known[n] if n in known else loaded[n] for n in numbers}
    po = next((b.po for b in bundles.values() if b.po is not None), None)
    if po is None:
        raise ShipNoticeError(
            f"shipment {shipment_id}: none of its POs ({', '.join(numbers)}) is in the store"
        )
    if po.row.partner not in partners:
        raise ShipNoticeError(f"no partner profile {po.row.partner!r} for PO {po.doc.po_number}")
    po_ship_to = po.doc.maybe_party("ship_to")
    fc = po.doc.ship_to_location or (po_ship_to.id if po_ship_to else None)
    return Draft(notice_from(source, fc, source.maybe_party("ship_from")), po, bundles)


def send_ship_notice(
    session: Session,
    partners: PartnerDirectory,
    mappings: MappingRegistry,
    archive: Archive,
    shipment_id: str,
    *,
    today: date | None = None,
    actor: str = "gateway",
    bundles: Mapping[str, PoBundle] | None = None,
) -> Outcome:
    """Build, check and queue the ship notice of stored shipment ``shipment_id`` to its PO's partner
    (``bundles``: order books of its POs the caller loaded a moment ago in this transaction).

    Raises :class:`ShipNoticeError` when the shipment or its PO is unknown, or the notice
    cannot be rendered.
    """
    today = today or utcnow().date()
    drafted = draft_of(session, partners, shipment_id, bundles)
    draft, po = drafted.notice, drafted.po
    partner = po.row.partner
    profile = partners.get(partner)
    numbers = [o.po_number for o in draft.orders]
    ctx = Context(partner, profile.rules, today, profile.standard)
    record = session.exec(
        select(ShipNoticeRecord).where(
            ShipNoticeRecord.partner == partner, ShipNoticeRecord.shipment_id == draft.shipment_id
        )
    ).first()
    # on the ASN's own lines and cartons, against the order books just loaded; the notice's own
    # record (unique per partner and shipment id) is the one "sent before" the check looks for
    reasons = ship_notice_reasons(session, draft, ctx, drafted.bundles, [record] if record else [])
    notice = as_sent(draft)  # one item line per carton content, as an 856 states it
    if record is not None and record.status in SETTLED:
        return Outcome(record, notice, reasons)  # sent once; an operator's cancel stands (a replay)
    fresh = record is None
    record = record or ShipNoticeRecord(
        partner=partner, shipment_id=notice.shipment_id, source_shipment_id=shipment_id
    )
    record.po_numbers = numbers
    record.reasons = [r.to_json() for r in reasons]
    if reasons:
        record.status = "blocked"
        session.add(record)
        session.flush()
        log.info(
            "ship notice %s for %s blocked: %s", notice.shipment_id, partner, "; ".join(map(str, reasons))
        )
        return Outcome(record, notice, reasons)
    version = profile.rules.ship_notice.x12_version if profile.standard == "x12" else profile.version
    try:
        message = render_and_queue(
            session, partners, mappings, archive, partner, ship_notice(notice), "ship_notice",
            version=version, document_types=["shipment"], actor=actor,
            note=f"ship notice {notice.shipment_id}",
        )  # fmt: skip
    except RenderError as exc:
        raise ShipNoticeError(f"ship notice {notice.shipment_id} {exc}") from None
    record.status = "queued"
    record.message_id = message.id
    label_and_record(session, archive, record, notice, po.doc.po_number, fresh=fresh)
    return Outcome(record, notice, [])


def label_and_record(
    session: Session,
    archive: Archive,
    record: ShipNoticeRecord,
    notice: Shipment,
    po_number: str,
    *,
    fresh: bool = False,
) -> None:
    """Archive ``notice``'s carton labels beside ``record`` and record its SSCCs (365-day rule);
    an SSCC already recorded for the notice is not recorded twice. ``fresh``: ``record`` is new
    in this transaction (there was none for its partner and shipment id), so no SSCC can be
    recorded for the notice yet (SSCC uses are written here only, beside their record, and
    neither is ever deleted): none is looked up. The uses go in one ``INSERT`` (Core: no row
    object is read back)."""
    from gateway.shipping.labels import carton_labels  # reportlab and PIL: only to draw labels

    record.labels_key = archive.store(carton_labels(notice, po_number)).sha256
    session.add(record)
    known: set[str] = set()
    if not fresh:
        known = set(
            session.exec(
                select(SsccUse.sscc).where(
                    SsccUse.partner == record.partner, SsccUse.shipment_id == notice.shipment_id
                )
            ).all()
        )
    uses = [
        {"partner": record.partner, "sscc": p.sscc, "shipment_id": notice.shipment_id, "created_at": utcnow()}
        for p in notice.packages
        if p.sscc not in known
    ]
    session.flush()
    if uses:
        session.execute(insert(SsccUse.__table__), uses)  # type: ignore[attr-defined]
