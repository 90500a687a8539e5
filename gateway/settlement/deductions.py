"""Payments and deductions in a remittance, told apart by the partner's reference patterns.

A remittance line is a **payment** when no deduction pattern matches its reference and it is not
negative; everything else is a **deduction** of the first pattern's kind that matches
(``unclassified`` when none does), as are the adjustments not tied to a line (co-op, provision...).
A line's own adjustments (ADX after an RMR) stay with its payment: they explain a short-pay of
that invoice. So, for a credit advice, to the cent::

    remittance.amount == Σ payment.amount_paid + Σ deduction.amount

(negated for a debit advice) — what :func:`split` promises and a property test checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from gateway.canonical import Remittance
from gateway.config.settlement import SettlementSettings

UNCLASSIFIED = "unclassified"


@dataclass(frozen=True, slots=True)
class Payment:
    """What a remittance paid against one of our invoices."""

    invoice_number: str
    amount_paid: Decimal
    invoice_amount: Decimal | None
    discount: Decimal
    adjustments: Decimal  # the line's own adjustments (negative lowers the payment)
    po_number: str | None


@dataclass(frozen=True, slots=True)
class Deduction:
    """An amount taken (negative) or given back (positive, a reversal), with its kind."""

    reference: str
    kind: str
    amount: Decimal
    invoice_number: str | None  # the invoice it is about, when the reference names one
    po_number: str | None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Split:
    """A remittance as payments and deductions."""

    payments: list[Payment]
    deductions: list[Deduction]

    def total(self) -> Decimal:
        """Σ amount paid + Σ deductions: the remittance's amount for a credit advice."""
        paid = sum((p.amount_paid for p in self.payments), Decimal(0))
        return paid + sum((d.amount for d in self.deductions), Decimal(0))


def classify(reference: str, settings: SettlementSettings) -> tuple[str, str | None]:
    """The kind of deduction ``reference`` names and the invoice it is about (``None``: not one)."""
    for rule in settings.deduction_patterns:
        match = re.search(rule.pattern, reference, flags=re.IGNORECASE)
        if match is None:
            continue
        base = (reference[: match.start()] + reference[match.end() :]).strip(" -") if rule.strip else None
        return rule.kind, base or None
    return UNCLASSIFIED, None


def split(remittance: Remittance, settings: SettlementSettings) -> Split:
    """The payments and deductions of ``remittance`` (see the module docstring)."""
    payments: list[Payment] = []
    deductions: list[Deduction] = []
    for line in remittance.lines:
        kind, base = classify(line.reference, settings)
        if kind == UNCLASSIFIED and line.amount_paid >= 0:
            payments.append(
                Payment(
                    invoice_number=line.reference,
                    amount_paid=line.amount_paid,
                    invoice_amount=line.invoice_amount,
                    discount=line.discount or Decimal(0),
                    adjustments=line.adjustments_total(),
                    po_number=line.po_number,
                )
            )
            continue
        invoice = base if kind != UNCLASSIFIED else None
        deductions.append(Deduction(line.reference, kind, line.amount_paid, invoice, line.po_number))
    for index, adjustment in enumerate(remittance.adjustments, start=1):
        reference = adjustment.reference or f"{remittance.trace_number}/ADX{index}"
        kind, base = classify(" ".join(x for x in (adjustment.reference, adjustment.reason) if x), settings)
        deductions.append(
            Deduction(
                reference,
                kind,
                adjustment.amount,
                base if kind != UNCLASSIFIED else None,
                None,
                adjustment.reason,
            )
        )
    return Split(payments, deductions)
