"""Claims: every deduction a remittance takes becomes one, with its links, evidence, deadline and status.

**Status** moves only through :func:`transition`, by this table (h11-style: an illegal move raises)::

    new        -> to_dispute, disputed, accepted, won
    to_dispute -> disputed, accepted, won
    disputed   -> won, lost, accepted
    lost, accepted -> won          (a later reversal, e.g. ``-SCR``, still wins it back)
    lost       -> disputed         (a chargeback only, and only while it was disputed once:
                                    ``MAX_DISPUTES``, Amazon allows two disputes of a chargeback)

Every change writes a :class:`~gateway.store.settlement.ClaimEvent` and an audit entry with who,
when and why. ``won`` carries the amount recovered.

**Deadline**: the partner's dispute window for the claim's kind (``settlement.dispute_windows``),
counted from the invoice due date (shortage, price claims) or from the notification, the
remittance's payment date (chargebacks and the rest).

**Predicted**: for a shortage, whether invoiced − received (:mod:`.receipts`) foresaw it and for how
much; for other kinds, whether an open discrepancy of ours names the same PO.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import Session, select

from gateway.canonical import Invoice, Remittance
from gateway.config import PartnerDirectory
from gateway.orders.book import load_bundles
from gateway.reconcile.received import predicted_shortage, shortage_amount
from gateway.settlement.deductions import Deduction, split
from gateway.settlement.evidence import gather
from gateway.settlement.payments import due_date, settings_of
from gateway.store.models import AuditEntry, Discrepancy, Document, utcnow
from gateway.store.settlement import Claim, ClaimEvent

log = logging.getLogger(__name__)

SYSTEM = "acorn"
STATUSES = ("new", "to_dispute", "disputed", "won", "lost", "accepted")
OPEN = frozenset({"new", "to_dispute", "disputed"})
#: disputes allowed per claim kind (AMAZON-RULES: a chargeback at most twice); others once
MAX_DISPUTES: dict[str, int] = {"chargeback": 2}
MOVES: dict[str, frozenset[str]] = {
    "new": frozenset({"to_dispute", "disputed", "accepted", "won"}),
    "to_dispute": frozenset({"disputed", "accepted", "won"}),
    "disputed": frozenset({"won", "lost", "accepted"}),
    "lost": frozenset({"won"}),
    "accepted": frozenset({"won"}),
    "won": frozenset(),
}
#: kinds that give money back rather than take it
REVERSALS = {"shortage_reversal": "-SC"}


class ClaimError(ValueError):
    """A claim change that cannot be made (unknown claim, illegal move, bad amount)."""


def record_event(
    session: Session,
    claim: Claim,
    actor: str,
    action: str,
    reason: str | None,
    before: str | None = None,
    detail: dict[str, object] | None = None,
) -> None:
    """Write what happened to ``claim`` to its timeline and the audit log (the caller commits)."""
    session.add(
        ClaimEvent(
            claim_id=int(claim.id or 0),
            actor=actor,
            action=action,
            from_status=before,
            to_status=claim.status,
            reason=reason,
            detail=detail,
        )
    )
    session.add(
        AuditEntry(
            actor=actor,
            action=f"claim.{action}",
            target_type="claim",
            target_id=str(claim.id),
            reason=reason,
            detail={"from": before, "to": claim.status, **(detail or {})},
        )
    )


def transition(
    session: Session, claim: Claim, to: str, actor: str, reason: str, *, recovered: Decimal | None = None
) -> Claim:
    """Move ``claim`` to status ``to`` (the only writer of ``Claim.status``); the caller commits."""
    if to not in MOVES:
        raise ClaimError(f"unknown claim status {to!r}: use one of {', '.join(STATUSES)}")
    moves = MOVES[claim.status] | _redispute(session, claim)
    if to not in moves:
        allowed = ", ".join(sorted(moves)) or "none"
        raise ClaimError(f"claim {claim.id} is {claim.status}; it can move to {allowed}, not {to}")
    if not reason.strip():
        raise ClaimError("say why (a reason is required)")
    before = claim.status
    claim.status = to
    detail: dict[str, object] = {}
    if to == "won":
        amount = claim.amount if recovered is None else recovered
        if amount < 0 or amount > claim.amount:
            raise ClaimError(f"recovered {amount} must be between 0 and the claim's {claim.amount}")
        claim.recovered = amount
        detail["recovered"] = format(amount, "f")
    claim.updated_at = utcnow()
    session.add(claim)
    session.flush()
    record_event(session, claim, actor, "status", reason, before, detail)
    log.info("claim %s %s: %s -> %s by %s", claim.id, claim.reference, before, to, actor)
    return claim


def disputes_of(session: Session, claim: Claim) -> int:
    """How many times ``claim`` was disputed (moves into ``disputed`` on its timeline)."""
    events = select(ClaimEvent).where(ClaimEvent.claim_id == claim.id, ClaimEvent.to_status == "disputed")
    return len(session.exec(events).all())


def _redispute(session: Session, claim: Claim) -> frozenset[str]:
    """``{"disputed"}`` for a lost claim whose kind may be disputed again (a chargeback: twice)."""
    limit = MAX_DISPUTES.get(claim.kind, 1)
    if claim.status != "lost" or disputes_of(session, claim) >= limit:
        return frozenset()
    return frozenset({"disputed"})


def _invoice_row(session: Session, number: str | None) -> Document | None:
    if not number:
        return None
    return session.exec(
        select(Document).where(Document.type == "invoice", Document.invoice_number == number)
    ).first()


def _rma_named(session: Session, reference: str) -> str | None:
    """The stored return whose RMA number the returns deduction's reference contains."""
    for number in session.exec(
        select(Document.rma_number).where(Document.type == "return_authorization")
    ).all():
        if number and number in reference:
            return number
    return None


def _deadline(claim: Claim, invoice: Invoice | None, partners: PartnerDirectory, inv_partner: str) -> date:
    window = settings_of(partners, claim.partner).window(claim.kind)
    start = claim.notified_on or date.today()
    if window.from_ == "due_date" and invoice is not None:
        start = due_date(invoice, partners, inv_partner)
    return start + timedelta(days=window.days)


def _predict(session: Session, claim: Claim, invoice: Invoice | None) -> None:
    if claim.kind == "shortage" and invoice is not None:
        bundle = load_bundles(session, [invoice.po_number])[invoice.po_number]
        shortages = predicted_shortage(bundle, invoice)
        if shortages is not None:
            amount = shortage_amount(shortages)
            claim.predicted = amount > 0
            claim.predicted_amount = amount
            return
    if claim.po_number:
        open_rows = session.exec(
            select(Discrepancy).where(
                Discrepancy.po_number == claim.po_number, Discrepancy.status != "resolved"
            )
        ).all()
        claim.predicted = bool(open_rows)
        amounts = [r.amount_at_risk for r in open_rows if r.amount_at_risk is not None]
        claim.predicted_amount = sum(amounts, Decimal(0)) if amounts else None


def _open_claim(
    session: Session,
    partners: PartnerDirectory,
    partner: str,
    remittance: Remittance,
    row: Document,
    deduction: Deduction,
) -> Claim | None:
    existing = session.exec(
        select(Claim).where(Claim.partner == partner, Claim.reference == deduction.reference)
    ).first()
    if existing is not None:
        return None
    inv_row = _invoice_row(session, deduction.invoice_number)
    invoice = None
    if inv_row is not None:
        from gateway.orders.book import safe_load

        loaded = safe_load(inv_row)
        invoice = loaded if isinstance(loaded, Invoice) else None
    claim = Claim(
        partner=partner,
        reference=deduction.reference,
        kind=deduction.kind,
        amount=-deduction.amount,
        currency=remittance.currency,
        invoice_number=deduction.invoice_number,
        po_number=deduction.po_number or (invoice.po_number if invoice else None),
        shipment_id=invoice.shipment_id if invoice else None,
        rma_number=invoice.return_authorization if invoice else None,
        remittance_document_id=row.id,
        trace_number=remittance.trace_number,
        notified_on=remittance.payment_date,
    )
    if claim.kind == "returns" and claim.rma_number is None:
        claim.rma_number = _rma_named(session, deduction.reference)
    claim.deadline = _deadline(claim, invoice, partners, inv_row.partner if inv_row else partner)
    _predict(session, claim, invoice)
    session.add(claim)
    session.flush()
    claim.evidence = gather(session, claim)
    session.add(claim)
    record_event(
        session,
        claim,
        SYSTEM,
        "opened",
        f"deduction {deduction.reference} in {remittance.trace_number}",
        None,
        {"amount": format(claim.amount, "f"), "predicted": claim.predicted},
    )
    return claim


def _reverse(session: Session, partner: str, remittance: Remittance, deduction: Deduction) -> Claim | None:
    """A reversal (``INV-1-SCR``) wins back the claim it reverses (``INV-1-SC``), once."""
    if not deduction.invoice_number:
        return None
    reversed_ref = deduction.invoice_number + REVERSALS[deduction.kind]
    claim = session.exec(
        select(Claim).where(Claim.partner == partner, Claim.reference == reversed_ref)
    ).first()
    if claim is None or claim.reversed_by == deduction.reference:
        return None
    claim.reversed_by = deduction.reference
    reason = f"reversed by {deduction.reference} in {remittance.trace_number}"
    recovered = min(claim.recovered + deduction.amount, claim.amount)
    if claim.status == "won":
        claim.recovered = recovered
        session.add(claim)
        record_event(session, claim, SYSTEM, "reversed", reason, "won", {"recovered": format(recovered, "f")})
        return claim
    return transition(session, claim, "won", SYSTEM, reason, recovered=recovered)


def on_remittance(session: Session, partners: PartnerDirectory, row: Document) -> list[Claim]:
    """Open a claim for every new deduction of the stored remittance ``row``; apply its reversals."""
    from gateway.orders.book import safe_load

    remittance = safe_load(row)
    if not isinstance(remittance, Remittance):
        return []
    changed: list[Claim] = []
    for deduction in split(remittance, settings_of(partners, row.partner)).deductions:
        if deduction.kind in REVERSALS:
            claim = _reverse(session, row.partner, remittance, deduction)
        elif deduction.amount < 0:
            claim = _open_claim(session, partners, row.partner, remittance, row, deduction)
        else:
            claim = None
        if claim is not None:
            changed.append(claim)
    session.flush()
    return changed


def find_claim(session: Session, claim_id: int) -> Claim:
    """The claim ``claim_id``. Raises :class:`ClaimError`."""
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise ClaimError(f"no claim {claim_id}")
    return claim


def claim_events(session: Session, claim: Claim) -> list[ClaimEvent]:
    return list(
        session.exec(select(ClaimEvent).where(ClaimEvent.claim_id == claim.id).order_by(ClaimEvent.id)).all()  # type: ignore[arg-type]
    )


def list_claims(session: Session, *, status: str | None = None, partner: str | None = None) -> list[Claim]:
    query = select(Claim)
    if status:
        query = query.where(Claim.status == status)
    if partner:
        query = query.where(Claim.partner == partner)
    return list(session.exec(query.order_by(Claim.deadline, Claim.id)).all())  # type: ignore[arg-type]


def claim_json(claim: Claim, events: list[ClaimEvent] | None = None) -> dict[str, object]:
    """A claim as the CLI and the JSON API show it (money as strings, to the cent)."""

    def cents(value: Decimal | None) -> str | None:
        return None if value is None else format(value.quantize(Decimal("0.01")), "f")

    out: dict[str, object] = {
        "id": claim.id,
        "partner": claim.partner,
        "reference": claim.reference,
        "kind": claim.kind,
        "status": claim.status,
        "amount": cents(claim.amount),
        "recovered": cents(claim.recovered),
        "currency": claim.currency,
        "invoice_number": claim.invoice_number,
        "po_number": claim.po_number,
        "shipment_id": claim.shipment_id,
        "rma_number": claim.rma_number,
        "trace_number": claim.trace_number,
        "notified_on": claim.notified_on.isoformat() if claim.notified_on else None,
        "deadline": claim.deadline.isoformat() if claim.deadline else None,
        "predicted": claim.predicted,
        "predicted_amount": cents(claim.predicted_amount),
        "reversed_by": claim.reversed_by,
        "evidence": claim.evidence,
    }
    if events is not None:
        out["events"] = [
            {
                "at": e.at.isoformat(),
                "actor": e.actor,
                "action": e.action,
                "from": e.from_status,
                "to": e.to_status,
                "reason": e.reason,
            }
            for e in events
        ]
    return out
