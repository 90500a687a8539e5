"""The tables reconciliation and invoicing keep besides the store's: invoice checks and number uses.

- :class:`InvoiceCheck`: one row per invoice or credit note we built: the reasons it is
  blocked (empty when it may leave), when it was checked, and who approved it (manual mode).
- :class:`InvoiceNumberUse`: a ledger of every distinct use of an invoice number seen
  (ours or an ERP's), so a number reused for another PO, shipment or date is caught even
  after the store replaced the earlier document with the later one.

Both are created by migration ``0004``; the store's models stay untouched.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from gateway.store.models import empty_list, utcnow


class InvoiceCheck(SQLModel, table=True):
    """The last compliance check of an invoice document, and its approval."""

    __tablename__ = "invoice_checks"

    document_id: int = Field(foreign_key="documents.id", primary_key=True)
    reasons: list[dict[str, Any]] = Field(default_factory=empty_list, sa_type=JSON, nullable=False)
    checked_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)
    approved_by: str | None = Field(default=None, max_length=64)
    approved_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)


class InvoiceNumberUse(SQLModel, table=True):
    """One distinct use of an invoice number: its kind, PO, shipment and date."""

    __tablename__ = "invoice_number_uses"
    __table_args__ = (UniqueConstraint("invoice_number", "fingerprint", name="uq_invoice_number_uses"),)

    id: int | None = Field(default=None, primary_key=True)
    invoice_number: str = Field(max_length=64, index=True)
    fingerprint: str = Field(max_length=255)
    partner: str = Field(max_length=64)
    document_id: int | None = Field(default=None, foreign_key="documents.id")
    kind: str = Field(max_length=16)
    po_number: str | None = Field(default=None, max_length=64)
    shipment_id: str | None = Field(default=None, max_length=64)
    invoice_date: date | None = None
    first_seen_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)
