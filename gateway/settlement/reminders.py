"""Reminders before it is late: each deadline warned about once, to the alert channels and the dashboard.

Per partner (``settlement.reminder_rules`` says when a thing is due, ``reminder_lead_days`` how many
days before it to remind):

| kind | due on | done when |
|---|---|---|
| ``po_ack_due`` | order date + ``po_ack_days`` (855: ``deadline_hours``) | its 855 sent (else: ASN, bill) |
| ``asn_due`` | delivery window opens (else closes) − ``asn_before_delivery_days`` | a shipment names the PO |
| ``invoice_due`` | ship date + ``invoice_after_ship_days`` (of the PO's partner) | a live invoice has it |
| ``payment_due`` | the invoice's due date (:mod:`.payments`) | paid or short-paid |
| ``overdue`` | due date + ``payment_overdue_days`` (sent on the day, not before) | paid or short-paid |
| ``claim_deadline`` | the claim's dispute deadline | the claim is disputed or closed |

``po_ack_due``: a PO whose acknowledgement ACORN built (:mod:`gateway.shipping.po_ack`) is done
only once that acknowledgement's message is sent; a held, blocked, queued or cancelled one keeps
the alert coming. A PO with no acknowledgement built here falls back to the old rule (a shipment
or an invoice names it: the partner's ERP acknowledged it some other way).

A reminder is sent when ``due − lead ≤ today ≤ due`` and the thing is not done; its key (kind,
partner, subject, due date) makes it a row of ``reminders`` once, and ``sent_at`` makes it sent
once. A later run that finds it again sends nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, col, select

from gateway.canonical import PurchaseOrder, Shipment
from gateway.config import PartnerDirectory
from gateway.config.settings import AlertSettings
from gateway.orders.book import is_live, safe_load
from gateway.outbound.alerts import Alert, deliver
from gateway.settlement.payments import invoice_statuses, settings_of
from gateway.store.models import Document, DocumentMessage, Message, MessageState, utcnow
from gateway.store.settlement import Claim, Reminder

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Due:
    kind: str
    partner: str
    subject: str
    due_on: date
    lead: int
    message: str
    po_number: str | None = None
    invoice_number: str | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}|{self.partner}|{self.subject}|{self.due_on.isoformat()}"

    def fires(self, today: date) -> bool:
        return self.due_on - timedelta(days=self.lead) <= today <= self.due_on


def _acknowledgements(session: Session) -> dict[tuple[str, str], bool]:
    """(partner, PO number) -> whether its built acknowledgement (855 / ORDRSP) has been sent."""
    out: dict[tuple[str, str], bool] = {}
    for row in session.exec(select(Document).where(Document.type == "po_acknowledgement")).all():
        out.setdefault((row.partner, row.business_key), False)
    gone = (MessageState.SENT.value, MessageState.ACKNOWLEDGED.value)
    sent = session.exec(
        select(Document.partner, Document.business_key)
        .join(DocumentMessage, col(DocumentMessage.document_id) == Document.id)
        .join(Message, col(Message.id) == DocumentMessage.message_id)
        .where(Document.type == "po_acknowledgement", DocumentMessage.role == "sent")
        .where(col(Message.state).in_(gone))
    ).all()
    for partner, po_number in sent:
        out[(partner, po_number)] = True
    return out


def _ack_days(partners: PartnerDirectory, partner: str, default: int) -> int:
    """Days after the order date the acknowledgement is due: the partner's 855 policy
    ``deadline_hours`` (whole days, rounded up) when it builds them, else ``po_ack_days``."""
    if partner in partners:
        policy = partners.get(partner).rules.po_acknowledgement
        if policy.enabled:
            return -(-policy.deadline_hours // 24)
    return default


def _po_dues(session: Session, partners: PartnerDirectory) -> list[Due]:
    shipped = {
        row.po_number for row in session.exec(select(Document).where(Document.type == "shipment")).all()
    }
    for row in session.exec(select(Document).where(Document.type == "shipment")).all():
        doc = safe_load(row)
        if isinstance(doc, Shipment):
            shipped |= {o.po_number for o in doc.orders}
    invoiced = {
        row.po_number
        for row in session.exec(select(Document).where(Document.type == "invoice")).all()
        if is_live(row)
    }
    acked = _acknowledgements(session)
    out: list[Due] = []
    ordered_by: dict[str, str] = {}  # PO number -> the partner that ordered (and is invoiced)
    for row in session.exec(select(Document).where(Document.type == "purchase_order")).all():
        doc = safe_load(row)
        if not isinstance(doc, PurchaseOrder):
            continue
        ordered_by[doc.po_number] = row.partner
        s = settings_of(partners, row.partner)
        ack_sent = acked.get((row.partner, doc.po_number))
        if ack_sent is None:  # no acknowledgement built here: the old rule, goods or a bill answer it
            ack_sent = doc.po_number in shipped or doc.po_number in invoiced
        if not ack_sent:
            due = doc.order_date + timedelta(
                days=_ack_days(partners, row.partner, s.reminder_rules.po_ack_days)
            )
            out.append(
                Due(
                    "po_ack_due",
                    row.partner,
                    doc.po_number,
                    due,
                    s.reminder_lead_days.po_ack_due,
                    f"PO {doc.po_number}: acknowledgement due {due}",
                    po_number=doc.po_number,
                )
            )
        window = doc.deliver_not_before or doc.deliver_not_after
        if window is not None and doc.po_number not in shipped:
            due = window - timedelta(days=s.reminder_rules.asn_before_delivery_days)
            out.append(
                Due(
                    "asn_due",
                    row.partner,
                    doc.po_number,
                    due,
                    s.reminder_lead_days.asn_due,
                    f"PO {doc.po_number}: ASN due {due} (delivery window {window})",
                    po_number=doc.po_number,
                )
            )
    for row in session.exec(select(Document).where(Document.type == "shipment")).all():
        doc = safe_load(row)
        if not isinstance(doc, Shipment):
            continue
        for order in doc.orders:
            if order.po_number in invoiced:
                continue
            # the invoice is owed to whoever ordered: their rules, not the warehouse's that shipped
            s = settings_of(partners, ordered_by.get(order.po_number, row.partner))
            due = doc.ship_date + timedelta(days=s.reminder_rules.invoice_after_ship_days)
            out.append(
                Due(
                    "invoice_due",
                    row.partner,
                    f"{doc.shipment_id}/{order.po_number}",
                    due,
                    s.reminder_lead_days.invoice_due,
                    f"ASN {doc.shipment_id}: invoice for PO {order.po_number} due {due}",
                    po_number=order.po_number,
                )
            )
    return out


def due_reminders(session: Session, partners: PartnerDirectory, today: date) -> list[Due]:
    """Every deadline not met yet, with its lead (whether it fires today is :meth:`Due.fires`)."""
    out = _po_dues(session, partners)
    for status in invoice_statuses(session, partners, today):
        if status.state in ("paid", "short_paid"):
            continue
        s = settings_of(partners, status.partner)
        out.append(
            Due(
                "payment_due",
                status.partner,
                status.invoice_number,
                status.due_date,
                s.reminder_lead_days.payment_due,
                f"invoice {status.invoice_number}: payment of {status.balance} {status.currency} "
                f"due {status.due_date}",
                status.po_number,
                status.invoice_number,
            )
        )
        overdue = status.due_date + timedelta(days=s.payment_overdue_days)
        if today >= overdue:
            out.append(
                Due(
                    "overdue",
                    status.partner,
                    status.invoice_number,
                    overdue,
                    (today - overdue).days,
                    f"invoice {status.invoice_number}: {status.balance} {status.currency} unpaid, "
                    f"{(today - status.due_date).days} days past due",
                    status.po_number,
                    status.invoice_number,
                )
            )
    for claim in session.exec(select(Claim).where(Claim.status.in_(("new", "to_dispute")))).all():  # type: ignore[attr-defined]
        if claim.deadline is None:
            continue
        s = settings_of(partners, claim.partner)
        out.append(
            Due(
                "claim_deadline",
                claim.partner,
                claim.reference,
                claim.deadline,
                s.reminder_lead_days.claim_deadline,
                f"claim {claim.reference} ({claim.kind}, {claim.amount} {claim.currency or ''}): "
                f"dispute by {claim.deadline}",
                claim.po_number,
                claim.invoice_number,
            )
        )
    return out


def run_reminders(
    session: Session, partners: PartnerDirectory, alerts: AlertSettings | None, today: date
) -> list[Reminder]:
    """Record and send the reminders that fire today and were never sent; the caller commits."""
    fresh: list[tuple[Reminder, Due]] = []
    for due in due_reminders(session, partners, today):
        if not due.fires(today):
            continue
        if session.exec(select(Reminder).where(Reminder.key == due.key)).first() is not None:
            continue
        row = Reminder(
            key=due.key,
            partner=due.partner,
            kind=due.kind,
            subject=due.subject,
            due_on=due.due_on,
            message=due.message,
            detail={"po_number": due.po_number, "invoice_number": due.invoice_number},
        )
        session.add(row)
        fresh.append((row, due))
    session.flush()
    if fresh and alerts is not None:
        deliver(
            [
                Alert(
                    kind=d.kind,
                    partner=d.partner,
                    message=d.message,
                    key=d.key,
                    po_number=d.po_number,
                    invoice_number=d.invoice_number,
                )
                for _, d in fresh
            ],
            alerts,
        )
    for row, _ in fresh:
        row.sent_at = utcnow()
        session.add(row)
    session.flush()
    return [row for row, _ in fresh]


def listed(session: Session, today: date, days: int = 30) -> list[Reminder]:
    """The reminders of the last ``days`` days not marked done, soonest due first (the dashboard's list)."""
    since = today - timedelta(days=days)
    query = select(Reminder).where(Reminder.done_at.is_(None), Reminder.due_on >= since)  # type: ignore[union-attr]
    return list(session.exec(query.order_by(Reminder.due_on)).all())  # type: ignore[arg-type]
