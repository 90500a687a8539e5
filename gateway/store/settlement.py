"""The tables of settlement: claims and their events, ERP events, reminders (migration ``0010``).

- :class:`Claim`: one per deduction Amazon took (``<invoice>-SC``, ``VCBSINV…``...), unique per
  partner and deduction reference, linked to its invoice, PO, shipment and return; its status
  changes only through :func:`gateway.settlement.claims.transition`, which writes a
  :class:`ClaimEvent` (who, when, why) with each change.
- :class:`ErpEvent`: an inventory or cost adjustment owed to the vendor's ERP, unique by ``key``
  so it is created once and delivered once (``pending`` -> ``delivered``, or ``failed`` after the
  channel's attempts).
- :class:`Reminder`: a deadline coming (PO acknowledgement, ASN, invoice, payment, overdue, claim
  dispute), unique by ``key``; ``sent_at`` says it was sent, so it is sent once.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, Numeric, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from gateway.store.models import empty_dict, empty_list, utcnow

_MONEY = Numeric(18, 4)


def _ts(nullable: bool = True) -> Any:
    return Field(default=None, sa_type=DateTime(timezone=True), nullable=nullable)


def _created() -> Any:
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)


class Claim(SQLModel, table=True):
    """A deduction taken by the partner, as a claim we accept or dispute."""

    __tablename__ = "claims"
    __table_args__ = (UniqueConstraint("partner", "reference", name="uq_claims_partner_reference"),)

    id: int | None = Field(default=None, primary_key=True)
    partner: str = Field(max_length=64, index=True)
    reference: str = Field(max_length=128)
    kind: str = Field(max_length=32)
    status: str = Field(default="new", max_length=16, index=True)
    amount: Decimal = Field(default=Decimal(0), sa_type=_MONEY)  # deducted, positive
    recovered: Decimal = Field(default=Decimal(0), sa_type=_MONEY)
    currency: str | None = Field(default=None, max_length=3)
    invoice_number: str | None = Field(default=None, max_length=64, index=True)
    po_number: str | None = Field(default=None, max_length=64, index=True)
    shipment_id: str | None = Field(default=None, max_length=64)
    rma_number: str | None = Field(default=None, max_length=64)
    remittance_document_id: int | None = Field(default=None, foreign_key="documents.id")
    trace_number: str | None = Field(default=None, max_length=128)
    notified_on: date | None = None
    deadline: date | None = Field(default=None, index=True)
    predicted: bool | None = None  # our own finding foresaw it (None: nothing to compare with)
    predicted_amount: Decimal | None = Field(default=None, sa_type=_MONEY)
    evidence: list[dict[str, Any]] = Field(default_factory=empty_list, sa_type=JSON, nullable=False)
    reversed_by: str | None = Field(default=None, max_length=128)
    created_at: datetime = _created()
    updated_at: datetime = _created()


class ClaimEvent(SQLModel, table=True):
    """One change of a claim: its status before and after, who made it, when and why."""

    __tablename__ = "claim_events"

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claims.id", index=True)
    at: datetime = _created()
    actor: str = Field(max_length=64)
    action: str = Field(max_length=32)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str | None = Field(default=None, max_length=16)
    reason: str | None = Field(default=None, sa_type=Text)
    detail: dict[str, Any] | None = Field(default=None, sa_type=JSON, nullable=True)


class ErpEvent(SQLModel, table=True):
    """An inventory or cost adjustment for the vendor's ERP, written once to the partner's channel."""

    __tablename__ = "erp_events"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=255, unique=True)
    partner: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=32)  # inventory_adjustment | cost_adjustment
    source: str = Field(max_length=32)  # return_authorization | deduction
    source_ref: str = Field(max_length=128)
    marketplace: str | None = Field(default=None, max_length=64)
    payload: dict[str, Any] = Field(default_factory=empty_dict, sa_type=JSON, nullable=False)
    state: str = Field(default="pending", max_length=16, index=True)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_type=Text)
    delivered_at: datetime | None = _ts()
    created_at: datetime = _created()
    #: the file a file channel reserved for this event (migration 0015): a retry asks whether it arrived
    delivery_ref: str | None = Field(default=None, max_length=1024)


class Reminder(SQLModel, table=True):
    """A deadline coming up or passed, sent once to the alert channels and listed on the dashboard."""

    __tablename__ = "reminders"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=255, unique=True)
    partner: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=32)
    subject: str = Field(max_length=128)
    due_on: date
    message: str = Field(sa_type=Text)
    detail: dict[str, Any] | None = Field(default=None, sa_type=JSON, nullable=True)
    sent_at: datetime | None = _ts()
    done_at: datetime | None = _ts()
    created_at: datetime = _created()
