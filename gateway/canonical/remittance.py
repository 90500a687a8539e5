"""The canonical remittance advice: one payment and what it settles (X12 820, EDIFACT REMADV).

Amounts keep the sign they were sent with. A line (RMR / DOC) names what it pays by
``reference``: our invoice number, or an id of Amazon's own (``<invoice>-SC`` shortage
claim, ``VCBSINV…`` chargeback...) that matches no invoice of ours. Every line is kept as
sent, matched or not: telling payments from deductions is the reader's job, not the
document's. An adjustment (ADX / AJT) is negative when it lowers the payment.

What the model enforces, and what it only computes:

- **Enforced:** the payment equals what it settles, to the cent:
  ``amount == sum(line.amount_paid) + sum(adjustment.amount)`` over the lines and the
  adjustments not tied to a line (X12: BPR02 = the RMR04s plus the entity-level ADX01s), the
  sum negated when the advice is a debit (BPR03 D: deductions above payments, stated as a
  positive amount the payee owes). A message that breaks it fails at ``amount``, as a CTT01
  that miscounts fails an invoice.
- **Computed, never refused:** a line's ``shortfall()`` = invoice amount − discount +
  adjustments − amount paid. Zero means the line is paid as stated; above zero it is a
  short-pay that its own adjustments do not explain. Short-pays are real business, not
  malformed messages, so they are data for reconciliation rather than errors.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import ValidationInfo, field_validator

from gateway.canonical.base import CanonicalDocument, CanonicalModel
from gateway.canonical.types import Amount, Currency, OptText, Text


class Adjustment(CanonicalModel):
    """A change to a payment, with its reason code as sent (X12 ADX02, EDIFACT AJT01)."""

    amount: Amount  # negative lowers the payment
    reason: OptText = None
    reference_qualifier: OptText = None
    reference: OptText = None  # the claim or chargeback id when the message names one


class RemittanceLine(CanonicalModel):
    """One reference paid or deducted: RMR (X12) or DOC (EDIFACT)."""

    reference: Text
    reference_qualifier: OptText = None  # RMR01 (IV...) or DOC01 (380...), as sent
    amount_paid: Amount  # negative for a deduction
    invoice_amount: Amount | None = None
    discount: Amount | None = None  # the terms discount taken
    reference_date: date | None = None
    po_number: OptText = None
    adjustments: list[Adjustment] = []

    def adjustments_total(self) -> Decimal:
        """The sum of the line's adjustments."""
        return sum((a.amount for a in self.adjustments), Decimal(0))

    def maybe_shortfall(self) -> Decimal | None:
        """Invoice amount − discount + adjustments − amount paid; ``None`` without an invoice amount."""
        if self.invoice_amount is None:
            return None
        return (
            self.invoice_amount - (self.discount or Decimal(0)) + self.adjustments_total() - self.amount_paid
        )


class RemittanceParty(CanonicalModel):
    """The payer (Amazon) or the payee (the vendor) of a remittance."""

    role: Literal["payer", "payee"]
    id: OptText = None
    id_qualifier: OptText = None
    name: OptText = None


class Remittance(CanonicalDocument):
    """One payment (or remittance information for one) and the references it settles."""

    type_key: ClassVar[str] = "remittance"
    type: Literal["remittance"] = "remittance"
    trace_number: Text
    payment_date: date
    currency: Currency
    handling: OptText = None  # X12 BPR01 as sent: C payment and remittance, I information only...
    credit_debit: Literal["credit", "debit"] | None = None
    method: OptText = None  # X12 BPR04 (ACH, CHK, FWT...), EDIFACT PAI
    vendor_code: OptText = None
    parties: list[RemittanceParty] = []
    lines: list[RemittanceLine] = []
    adjustments: list[Adjustment] = []  # not tied to a line
    amount: Amount

    @field_validator("amount")
    @classmethod
    def _amount_is_what_it_settles(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        lines, adjustments = info.data.get("lines"), info.data.get("adjustments")
        if lines is None or adjustments is None:
            return value  # already refused: the error is reported there
        settled = settled_amount(lines, adjustments)
        if info.data.get("credit_debit") == "debit":
            settled = -settled  # a debit advice states what the payee owes as a positive amount
        if value != settled:
            raise ValueError(
                f"payment amount {value} is not what its lines and adjustments add up to ({settled})"
            )
        return value

    def computed_amount(self) -> Decimal:
        """The lines paid plus the adjustments not tied to a line (negated for a debit): ``amount``."""
        settled = settled_amount(self.lines, self.adjustments)
        return -settled if self.credit_debit == "debit" else settled


def settled_amount(lines: list[RemittanceLine], adjustments: list[Adjustment]) -> Decimal:
    """Σ amount paid over ``lines`` + Σ ``adjustments``."""
    paid = sum((line.amount_paid for line in lines), Decimal(0))
    return paid + sum((a.amount for a in adjustments), Decimal(0))
