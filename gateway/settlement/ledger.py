"""Returns to the vendor's ERP, exactly once each, and the refund ledger per marketplace.

**Events.** Each return authorization (180 / RETANN) gives, per line, an ``inventory_adjustment``
(item, quantity, disposition: ``restock``, ``destroy`` or ``return_to_vendor``) and one
``cost_adjustment`` for the credit (amount, currency, reason); each returns deduction gives a
``cost_adjustment`` of what was deducted. An event's ``key`` (partner, source, reference, line,
kind) is unique, so a replayed return creates nothing new.

**Delivery** of the events, exactly once each, to the channel the partner's ``settlement.erp``
names (a folder, SFTP, a webhook) is :mod:`gateway.settlement.erp_delivery`.

**Refund ledger** (:func:`refund_ledger`): per marketplace (the partner that sent the return), each
return with its credit note (``return_authorization`` on the credit note) and the returns deduction
that settled it (a claim naming the RMA, or the credit note's number, in its reference). A return
missing either is a finding (``refund_unmatched``), synced like every other finding.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from gateway.canonical import Invoice, ReturnAuthorization
from gateway.orders.book import item_label, safe_load
from gateway.reconcile.findings import Finding
from gateway.reconcile.sync import sync_findings
from gateway.store.models import Document
from gateway.store.settlement import Claim, ErpEvent

log = logging.getLogger(__name__)

DISPOSITIONS = {
    "restock": "restock",
    "resell": "restock",
    "sellable": "restock",
    "rs": "restock",
    "destroy": "destroy",
    "dispose": "destroy",
    "scrap": "destroy",
    "ds": "destroy",
    "return_to_vendor": "return_to_vendor",
    "rtv": "return_to_vendor",
    "return": "return_to_vendor",
}


def disposition(value: str | None) -> str:
    """The ERP's disposition for a return line's code as sent (``return_to_vendor`` when unknown)."""
    return DISPOSITIONS.get((value or "").strip().lower().replace(" ", "_"), "return_to_vendor")


def _event(
    session: Session, key: str, partner: str, kind: str, source: str, ref: str, **payload: Any
) -> list[ErpEvent]:
    """The event ``key`` of ``partner`` (the marketplace), unless it exists; the caller commits."""
    if session.exec(select(ErpEvent).where(ErpEvent.key == key)).first() is not None:
        return []
    event = ErpEvent(
        key=key,
        partner=partner,
        kind=kind,
        source=source,
        source_ref=ref,
        marketplace=partner,
        payload=payload,
    )
    session.add(event)
    return [event]


def on_return(session: Session, row: Document) -> list[ErpEvent]:
    """The ERP events of the stored return authorization ``row`` (none twice); the caller commits."""
    rma = safe_load(row)
    if not isinstance(rma, ReturnAuthorization):
        return []
    made: list[ErpEvent] = []
    credit = Decimal(0)
    base = f"{row.partner}:rma:{rma.rma_number}"
    about = {"rma_number": rma.rma_number, "po_number": rma.po_number}
    for n, line in enumerate(rma.lines, start=1):
        made += _event(
            session,
            f"{base}:{line.line_no or n}:inventory",
            row.partner,
            "inventory_adjustment",
            "return_authorization",
            rma.rma_number,
            **about,
            line_no=line.line_no or str(n),
            item=item_label(line.item),
            item_ids=line.item.model_dump(exclude_none=True),
            quantity=format(line.quantity, "f"),
            uom=line.uom,
            disposition=disposition(line.disposition),
            reason=line.reason,
        )
        credit += line.quantity * (line.unit_credit or Decimal(0))
    made += _event(
        session,
        f"{base}:cost",
        row.partner,
        "cost_adjustment",
        "return_authorization",
        rma.rma_number,
        **about,
        amount=format(credit, "f"),
        currency=rma.currency,
        reason="customer return",
    )
    session.flush()
    return made


def on_returns_deduction(session: Session, claim: Claim) -> list[ErpEvent]:
    """The cost adjustment of a returns deduction (once); the caller commits."""
    if claim.kind != "returns":
        return []
    made = _event(
        session,
        f"{claim.partner}:deduction:{claim.reference}:cost",
        claim.partner,
        "cost_adjustment",
        "deduction",
        claim.reference,
        reference=claim.reference,
        rma_number=claim.rma_number,
        po_number=claim.po_number,
        amount=format(-claim.amount, "f"),
        currency=claim.currency,
        reason=f"returns deduction {claim.reference}",
    )
    session.flush()
    return made


# -- refund ledger --------------------------------------------------------------------------------


@dataclass
class LedgerEntry:
    """One return, its credit note and the deduction that settled it."""

    marketplace: str
    rma_number: str
    po_number: str | None
    credit_note: str | None
    deduction: str | None
    amount: Decimal | None

    @property
    def matched(self) -> bool:
        return self.credit_note is not None and self.deduction is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "marketplace": self.marketplace,
            "rma_number": self.rma_number,
            "po_number": self.po_number,
            "credit_note": self.credit_note,
            "deduction": self.deduction,
            "matched": self.matched,
            "amount": None if self.amount is None else format(self.amount, "f"),
        }


def refund_ledger(session: Session, *, sync: bool = True) -> list[LedgerEntry]:
    """Every return tied to its credit note and deduction; unmatched ones become findings when ``sync``."""
    credit_notes: dict[str, str] = {}
    for row in session.exec(select(Document).where(Document.type == "invoice")).all():
        doc = safe_load(row)
        if isinstance(doc, Invoice) and doc.kind == "credit_note" and doc.return_authorization:
            credit_notes[doc.return_authorization] = doc.invoice_number
    claims = session.exec(select(Claim).where(Claim.kind == "returns")).all()
    entries = []
    for row in session.exec(select(Document).where(Document.type == "return_authorization")).all():
        rma = row.rma_number or row.business_key
        note = credit_notes.get(rma)
        claim = next(
            (
                c
                for c in claims
                if c.rma_number == rma or rma in c.reference or (note and note in c.reference)
            ),
            None,
        )
        entries.append(
            LedgerEntry(
                row.partner,
                rma,
                row.po_number,
                note,
                claim.reference if claim else None,
                claim.amount if claim else None,
            )
        )
    if sync:
        findings = [
            Finding(
                scope="refunds",
                kind="refund_unmatched",
                partner=e.marketplace,
                refs=(e.rma_number,),
                po_number=e.po_number,
                rma_number=e.rma_number,
                severity="warning",
                expected="credit note and returns deduction",
                actual=f"credit note {e.credit_note or 'none'}, deduction {e.deduction or 'none'}",
            )
            for e in entries
            if not e.matched
        ]
        sync_findings(session, ["refunds"], findings)
    return entries
