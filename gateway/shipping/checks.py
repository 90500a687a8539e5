"""The pre-check of a ship notice: every reason it must not leave, each a code and a sentence.

One place for the rules of AMAZON-RULES.md (856 outbound). The ASN's own rules are the
reconciliation's (:func:`gateway.reconcile.doc_rules.shipment_findings`: SSCC check digit,
an SSCC twice, ship date not in the future, BOL not a date, cartons adding up to the item
totals), run on the notice as it would leave; the notice-only rules follow:

- ``po_missing``: a PO of the notice is not in the store (no window, no confirmed quantity);
- ``sscc_used_before`` / ``shipment_id_used_before``: an SSCC or the BSN02 that a notice of
  ours to the partner carried within ``unique_days`` (365);
- ``shipped_after_window`` (ship date after the PO's do-not-deliver-after) and
  ``delivery_outside_window`` (the estimated delivery outside the PO's window);
- ``shipped_over_confirmed``: eaches shipped of a PO line, over every ASN of the PO, past the
  confirmed quantity (our sent acknowledgement's, :func:`gateway.orders.quantities.confirmed_eaches`;
  the ordered one until the PO is acknowledged);
- ``carrier_scac_missing`` (``require_scac``), ``carton_mixes_pos``, ``one_po_per_desadv``.

A partner's ``rules.ship_notice.skip`` turns a code off.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, select

from gateway.canonical import PurchaseOrder, Shipment
from gateway.config.rules import PartnerRules
from gateway.invoicing.checks import Reason
from gateway.orders.book import Loaded, PoBundle, load_bundles
from gateway.orders.quantities import PoLines, tally
from gateway.reconcile.doc_rules import shipment_findings
from gateway.store.models import Document, ShipNoticeRecord, SsccUse, utcnow

_Add = Callable[[str, str], None]


@dataclass(frozen=True)
class Context:
    """What the rules look at besides the notice: the partner, its rules, today, the standard."""

    partner: str
    rules: PartnerRules
    today: date
    standard: str = "x12"
    record_id: int | None = None  # re-checked at send: the notice's own record is not "before"


def ship_notice_reasons(
    session: Session,
    notice: Shipment,
    ctx: Context,
    bundles: Mapping[str, PoBundle] | None = None,
    records: Sequence[ShipNoticeRecord] | None = None,
) -> list[Reason]:
    """Every reason ``notice`` must not be sent to ``ctx.partner`` (empty: it may go). ``bundles``:
    the order books of its POs as the caller loaded them in this transaction (else loaded here);
    ``records``: the ship notice records of ``ctx.partner`` with ``notice.shipment_id`` (at most
    one: they are unique), as the caller read them in this transaction (else read here)."""
    rules = ctx.rules.ship_notice
    out: list[Reason] = []

    def add(code: str, message: str) -> None:
        if rules.on(code) and Reason(code, message) not in out:
            out.append(Reason(code, message))

    draft = Loaded(
        Document(type="shipment", partner=ctx.partner, business_key=notice.shipment_id, data={}), notice
    )
    for f in shipment_findings(draft, ctx.rules.reconcile, ctx.today):
        add(f.kind, f"{f.actual} (expected {f.expected})")
    _uniqueness(session, notice, ctx, add, records)
    if rules.require_scac and not notice.carrier_scac:
        add("carrier_scac_missing", "no carrier SCAC (TD503): Amazon requires it in US/CA/MX")
    if ctx.standard == "edifact" and len(notice.orders) > 1:
        add("one_po_per_desadv", f"{len(notice.orders)} POs in one DESADV: send one per PO")
    single = notice.orders[0].po_number if len(notice.orders) == 1 else None
    for p in notice.packages:
        pos = {c.po_number or single for c in p.contents}
        if len(pos) > 1:
            add("carton_mixes_pos", f"carton {p.sscc} holds goods of POs {', '.join(sorted(map(str, pos)))}")
    numbers = [o.po_number for o in notice.orders]
    if bundles is None or not set(numbers) <= bundles.keys():
        bundles = load_bundles(session, numbers)
    for order in notice.orders:
        po = bundles[order.po_number].po
        if po is None:
            add("po_missing", f"PO {order.po_number} is not in the store")
            continue
        _window(notice, po.doc, add)
        t = tally(bundles[order.po_number], PoLines(po.doc))
        confirmed = t.confirmed if t.confirmed is not None else t.ordered  # ordered until acknowledged
        for i, (ordered, shipped) in enumerate(zip(confirmed, t.shipped, strict=True)):
            if ordered is not None and shipped > ordered:
                line = po.doc.lines[i]
                add(
                    "shipped_over_confirmed",
                    f"PO {po.doc.po_number} line {line.line_no}: "
                    f"{shipped} EA shipped, {ordered} EA confirmed",
                )
    return out


def _window(notice: Shipment, po: PurchaseOrder, add: _Add) -> None:
    if po.deliver_not_after and notice.ship_date > po.deliver_not_after:
        add(
            "shipped_after_window",
            f"shipped {notice.ship_date}, after PO {po.po_number}'s "
            f"do-not-deliver-after {po.deliver_not_after}",
        )
    when = notice.expected_delivery
    if when is None:
        return
    early = po.deliver_not_before and when < po.deliver_not_before
    late = po.deliver_not_after and when > po.deliver_not_after
    if early or late:
        add(
            "delivery_outside_window",
            f"estimated delivery {when} outside PO {po.po_number}'s window "
            f"{po.deliver_not_before or '-'} .. {po.deliver_not_after or '-'}",
        )


def _sent_before(record: ShipNoticeRecord, ctx: Context, since: datetime) -> bool:
    """The query of :func:`_uniqueness` on a record in hand (its partner and shipment id match):
    queued, created since ``since``, not the notice's own (a stored time without a zone is UTC,
    as every time the store writes)."""
    created = record.created_at if record.created_at.tzinfo else record.created_at.replace(tzinfo=UTC)
    own = ctx.record_id is not None and record.id == ctx.record_id
    return record.status == "queued" and created >= since and not own


def _uniqueness(
    session: Session,
    notice: Shipment,
    ctx: Context,
    add: _Add,
    records: Sequence[ShipNoticeRecord] | None = None,
) -> None:
    since = utcnow() - timedelta(days=ctx.rules.ship_notice.unique_days)
    if records is not None:
        earlier = next((r for r in records if _sent_before(r, ctx, since)), None)
    else:
        earlier = session.exec(
            select(ShipNoticeRecord).where(
                ShipNoticeRecord.partner == ctx.partner,
                ShipNoticeRecord.shipment_id == notice.shipment_id,
                ShipNoticeRecord.status == "queued",
                ShipNoticeRecord.created_at >= since,  # type: ignore[operator]
                ShipNoticeRecord.id != ctx.record_id,
            )
        ).first()
    if earlier is not None:
        add(
            "shipment_id_used_before",
            f"shipment id {notice.shipment_id} already sent on {earlier.created_at:%Y-%m-%d}",
        )
    ssccs = [p.sscc for p in notice.packages]
    if not ssccs:
        return
    used = session.exec(
        select(SsccUse).where(
            SsccUse.partner == ctx.partner,
            SsccUse.sscc.in_(ssccs),  # type: ignore[attr-defined]
            SsccUse.shipment_id != notice.shipment_id,
            SsccUse.created_at >= since,  # type: ignore[operator]
        )
    ).all()
    for use in used:
        add("sscc_used_before", f"SSCC {use.sscc} already sent in ship notice {use.shipment_id}")
