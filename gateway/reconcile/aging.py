"""Aging: the business that is late, found periodically, kept as discrepancies, told as alerts.

:func:`check_aging` looks at the whole store (it is not incremental; the scheduler runs it):

- ``not_invoiced``: a shipment of a PO not invoiced ``aging.uninvoiced_days`` after its ship
  date (money at risk: the shipped eaches at the PO cost);
- ``invoice_rejected``: an invoice whose 997/CONTRL rejected it, not resent after
  ``aging.rejected_days`` (with the partner's codes);
- ``po_not_shipped``: a PO past its delivery window (``deliver_not_after`` +
  ``aging.delivery_grace_days``) without any ASN (money at risk: the PO's value);
- ``return_rate_high``: returned / shipped eaches over ``aging.return_rate_window_days``, per
  partner and per SKU, above ``aging.return_rate_threshold`` once ``return_rate_min_units``
  eaches shipped. A SKU is every id seen together on one line (ASIN, EAN, UPC, vendor SKU),
  so an ASN that names the EAN and a return that names the ASIN count as one item.

Rules come from the PO's partner (the return's partner for returns). Findings are synced as
discrepancies in the scope ``aging`` (so they close themselves once invoiced, shipped...);
only the new or reopened ones are delivered as alerts, so a scheduler running every few
minutes tells people once.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from gateway.canonical import PurchaseOrder, Shipment
from gateway.config import PartnerDirectory, Settings
from gateway.config.rules import AgingRules, PartnerRules
from gateway.orders.book import NOT_LIVE, chunks, safe_load
from gateway.orders.quantities import PoLines, count, eaches, shipment_lines
from gateway.outbound.alerts import Alert, deliver
from gateway.reconcile.findings import Collector, Finding
from gateway.reconcile.sync import scope_rows, sync_findings
from gateway.store.models import Document, DocumentLine, DocumentMessage, Message

log = logging.getLogger(__name__)

SCOPE = "aging"


def _aging(partners: PartnerDirectory, name: str | None) -> tuple[AgingRules, PartnerRules]:
    rules = partners.get(name).rules if name and name in partners else PartnerRules()
    return rules.aging, rules


def _collector(partners: PartnerDirectory, partner: str, currency: str | None = None) -> Collector:
    return Collector(SCOPE, partner, _aging(partners, partner)[1].reconcile, currency)


def _min_days(partners: PartnerDirectory, attr: str) -> int | None:
    values = [getattr(p.rules.aging, attr) for p in partners] + [getattr(AgingRules(), attr)]
    values = [v for v in values if v is not None]
    return min(values) if values else None


def _po_rows(session: Session, numbers: Iterable[str]) -> dict[str, Document]:
    rows: dict[str, Document] = {}
    for batch in chunks(sorted(set(numbers))):
        query = select(Document).where(Document.type == "purchase_order", col(Document.po_number).in_(batch))
        for row in session.exec(query).all():
            old = rows.get(row.po_number or "")
            if old is None or (row.updated_at, row.id or 0) > (old.updated_at, old.id or 0):
                rows[row.po_number or ""] = row
    return rows


def not_invoiced(session: Session, partners: PartnerDirectory, today: date) -> list[Finding]:
    """Shipments of a PO not invoiced N days after shipping."""
    least = _min_days(partners, "uninvoiced_days")
    if least is None:
        return []
    cutoff = today - timedelta(days=least)
    pairs = session.exec(
        select(
            col(Document.id),
            col(Document.shipment_id),
            col(Document.document_date),
            col(DocumentLine.po_number),
        )
        .join(DocumentLine, col(DocumentLine.document_id) == Document.id)
        .where(Document.type == "shipment", col(Document.document_date) <= cutoff)
        .distinct()
    ).all()
    if not pairs:
        return []
    invoiced: set[tuple[str | None, str | None]] = set()
    for batch in chunks(sorted({sid for _, sid, _, _ in pairs if sid})):
        query = select(Document.shipment_id, Document.po_number, Document.status, Document.data).where(
            Document.type == "invoice", col(Document.shipment_id).in_(batch)
        )
        for sid, po, status, data in session.exec(query).all():
            if status not in NOT_LIVE and (data or {}).get("kind", "invoice") == "invoice":
                invoiced.add((sid, po))
    pos = _po_rows(session, {po for *_, po in pairs if po})
    found: list[Finding] = []
    for doc_id, sid, ship_date, po_number in pairs:
        po_row = pos.get(po_number or "")
        if po_row is None or (sid, po_number) in invoiced or ship_date is None or doc_id is None:
            continue
        aging, _ = _aging(partners, po_row.partner)
        if aging.uninvoiced_days is None or (today - ship_date).days < aging.uninvoiced_days:
            continue
        c = _collector(partners, po_row.partner, po_row.currency)
        c.add(
            "not_invoiced",
            (str(sid), str(po_number)),
            po_number=po_number,
            shipment_id=sid,
            expected=f"invoiced within {aging.uninvoiced_days} day(s) of shipping",
            actual=f"not invoiced {(today - ship_date).days} day(s) after shipping on {ship_date}",
            amount_at_risk=_shipped_value(session, doc_id, po_row),
        )
        found += c.findings.values()
    return found


def _shipped_value(session: Session, shipment_doc_id: int, po_row: Document) -> Decimal | None:
    ship_row = session.get(Document, shipment_doc_id)
    po, shipment = safe_load(po_row), safe_load(ship_row) if ship_row else None
    if not isinstance(po, PurchaseOrder) or not isinstance(shipment, Shipment):
        return None
    lines = PoLines(po)
    shipped = count(lines, shipment_lines(shipment, po.po_number))  # a case of unknown size: not valued
    values = [lines.value(i, n, shipped.case_sizes[i]) for i, n in enumerate(shipped.eaches) if n]
    return sum((v for v in values if v is not None), Decimal(0))


def rejected_invoices(session: Session, partners: PartnerDirectory, today: date) -> list[Finding]:
    """Invoices a partner rejected that were not resent."""
    found: list[Finding] = []
    query = select(Document).where(Document.type == "invoice", Document.status == "rejected")
    for row in session.exec(query).all():
        aging, _ = _aging(partners, row.partner)
        age = (today - row.updated_at.date()).days
        if aging.rejected_days is None or age < aging.rejected_days:
            continue
        codes = _ack_codes(session, row)
        c = _collector(partners, row.partner, row.currency)
        c.add(
            "invoice_rejected",
            (row.invoice_number or row.business_key,),
            invoice_number=row.invoice_number,
            po_number=row.po_number,
            shipment_id=row.shipment_id,
            expected="accepted, or corrected and resent",
            actual=f"rejected {age} day(s) ago"
            + (f" ({', '.join(codes)})" if codes else "")
            + ", not resent",
            amount_at_risk=row.total,
            detail={"codes": codes},
        )
        found += c.findings.values()
    return found


def _ack_codes(session: Session, row: Document) -> list[str]:
    message = session.exec(
        select(Message)
        .join(DocumentMessage, col(DocumentMessage.message_id) == Message.id)
        .where(DocumentMessage.document_id == row.id, DocumentMessage.role == "sent")
        .order_by(col(Message.id).desc())
    ).first()
    detail: dict[str, Any] = (message.ack_detail or {}) if message else {}
    codes = set(detail.get("codes") or [])
    for tx in detail.get("transactions") or []:
        codes.update(tx.get("codes") or [])
    return sorted(codes)


def unshipped_pos(session: Session, partners: PartnerDirectory, today: date) -> list[Finding]:
    """POs past their delivery window (plus grace) without any ASN."""
    least = _min_days(partners, "delivery_grace_days")
    if least is None:
        return []
    cutoff = today - timedelta(days=least)
    rows = session.exec(
        select(Document).where(
            Document.type == "purchase_order",
            col(Document.delivery_date).is_not(None),
            col(Document.delivery_date) < cutoff,
        )
    ).all()
    numbers = sorted({r.po_number for r in rows if r.po_number})
    shipped: set[str] = set()
    for batch in chunks(numbers):
        query = (
            select(DocumentLine.po_number)
            .join(Document, col(Document.id) == DocumentLine.document_id)
            .where(Document.type == "shipment", col(DocumentLine.po_number).in_(batch))
            .distinct()
        )
        shipped.update(p for p in session.exec(query).all() if p)
    found: list[Finding] = []
    for row in rows:
        aging, _ = _aging(partners, row.partner)
        if row.po_number in shipped or aging.delivery_grace_days is None or row.status == "cancelled":
            continue
        assert row.delivery_date is not None
        late = (today - row.delivery_date).days
        if late <= aging.delivery_grace_days:
            continue
        value = _po_value(session, row)
        c = _collector(partners, row.partner, row.currency)
        c.add(
            "po_not_shipped",
            (row.po_number or "",),
            po_number=row.po_number,
            expected=f"an ASN by {row.delivery_date}",
            actual=f"no ASN {late} day(s) after the delivery window",
            amount_at_risk=value,
        )
        found += c.findings.values()
    return found


def _po_value(session: Session, row: Document) -> Decimal | None:
    lines = session.exec(select(DocumentLine).where(DocumentLine.document_id == row.id)).all()
    prices = [ln.quantity * ln.unit_price for ln in lines if ln.unit_price is not None]
    return sum(prices, Decimal(0)) if prices else None


class _Items:
    """Union-find over item ids: ids seen on one line are one SKU."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, token: str) -> str:
        self.parent.setdefault(token, token)
        while self.parent[token] != token:
            self.parent[token] = self.parent[self.parent[token]]
            token = self.parent[token]
        return token

    def join(self, tokens: list[str]) -> str | None:
        if not tokens:
            return None
        roots = sorted(self.find(t) for t in tokens)  # asin: sorts first, so an ASIN names the SKU
        for other in roots[1:]:
            self.parent[other] = roots[0]
        return roots[0]


def _tokens(line: DocumentLine) -> list[str]:
    tokens = [f"asin:{line.asin.upper()}"] if line.asin else []
    tokens += [f"gtin:{g.zfill(14) if g.isdigit() else g}" for g in (line.ean, line.upc) if g]
    tokens += [f"sku:{line.vendor_sku.upper()}"] if line.vendor_sku else []
    return tokens


def return_rates(session: Session, partners: PartnerDirectory, today: date) -> list[Finding]:
    """Return rate per partner and per SKU above the partner's threshold."""
    window = max(
        [p.rules.aging.return_rate_window_days for p in partners] + [AgingRules().return_rate_window_days]
    )
    start = today - timedelta(days=window)
    query = (
        select(DocumentLine, Document.type, Document.partner, col(Document.document_date))
        .join(Document, col(Document.id) == DocumentLine.document_id)
        .where(
            col(Document.type).in_(["shipment", "return_authorization"]),
            col(Document.document_date) >= start,
        )
    )
    rows = session.exec(query).all()
    if not rows:
        return []
    po_partner = {
        n: r.partner for n, r in _po_rows(session, {ln.po_number for ln, *_ in rows if ln.po_number}).items()
    }
    items = _Items()
    counted: list[tuple[str, str, str | None, Decimal, date]] = []  # (type, partner, token, eaches, date)
    for line, kind, partner, when in rows:
        owner = partner if kind == "return_authorization" else po_partner.get(line.po_number or "")
        if owner is None or when is None:
            continue
        quantity = eaches(line.quantity, line.uom, line.case_size)  # a case of unknown size: not counted
        if quantity is not None:
            counted.append((kind, owner, items.join(_tokens(line)), quantity, when))
    shipped: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    returned: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for kind, owner, token, qty, when in counted:
        aging, _ = _aging(partners, owner)
        if (today - when).days > aging.return_rate_window_days:
            continue
        bucket = returned if kind == "return_authorization" else shipped
        bucket[(owner, "*")] += qty
        if token is not None:
            bucket[(owner, items.find(token))] += qty
    found: list[Finding] = []
    for (owner, sku), back in sorted(returned.items()):
        aging, _ = _aging(partners, owner)
        out = shipped.get((owner, sku), Decimal(0))
        if aging.return_rate_threshold is None or out < aging.return_rate_min_units or not out:
            continue
        rate = back / out
        if rate <= Decimal(str(aging.return_rate_threshold)):
            continue
        label = "all items" if sku == "*" else sku.split(":", 1)[1]
        c = _collector(partners, owner)
        c.add(
            "return_rate_high",
            (sku,),
            expected=f"<= {aging.return_rate_threshold:.0%} returned",
            actual=f"{rate:.1%} of {label} returned ({back.normalize():f} of {out.normalize():f} EA, "
            f"{aging.return_rate_window_days} days)",
            detail={"sku": label, "returned": str(back), "shipped": str(out)},
        )
        found += c.findings.values()
    return found


def check_aging(
    session: Session,
    partners: PartnerDirectory,
    settings: Settings,
    today: date,
    *,
    notify: bool = True,
) -> list[Alert]:
    """Run every aging check, sync them as discrepancies, deliver the new ones; every current alert.

    The caller commits (deliver happens before the commit: at worst an alert is sent twice).
    """
    findings = (
        not_invoiced(session, partners, today)
        + rejected_invoices(session, partners, today)
        + unshipped_pos(session, partners, today)
        + return_rates(session, partners, today)
    )
    counts = sync_findings(session, [SCOPE], findings)
    fresh = {row.key: row for row in counts.fresh}
    ids = {key: row.id for key, row in scope_rows(session, [SCOPE]).items()} if findings else {}
    alerts = [
        Alert(
            kind=f.kind,
            partner=f.partner,
            message=f"{_subject(f)}: {f.actual} (expected {f.expected})",
            severity=f.severity,
            key=f.key,
            po_number=f.po_number,
            shipment_id=f.shipment_id,
            invoice_number=f.invoice_number,
            rma_number=f.rma_number,
            amount_at_risk=f.amount_at_risk,
            currency=f.currency,
            discrepancy_id=ids.get(f.key),
            new=f.key in fresh,
        )
        for f in findings
    ]
    if notify:
        deliver([a for a in alerts if a.new], settings.alerts)
    log.info("aging: %d alert(s), %d new", len(alerts), sum(a.new for a in alerts))
    return alerts


def _subject(f: Finding) -> str:
    if f.invoice_number:
        return f"invoice {f.invoice_number} (PO {f.po_number})"
    if f.shipment_id:
        return f"ASN {f.shipment_id} of PO {f.po_number}"
    if f.po_number:
        return f"PO {f.po_number}"
    return f"returns of {f.partner}"
