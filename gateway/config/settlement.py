"""A profile's ``settlement:`` section: deduction patterns, dispute windows, ERP channel, reminders.

Everything here has a default that follows ``AMAZON-RULES.md`` (remittance and deductions), so a
profile without the section settles as Amazon US does. Example::

    settlement:
      deduction_patterns:            # tried in order; the first whose regex matches the reference wins
        - {kind: shortage, pattern: "-SCRSC$"}
        - {kind: shortage_reversal, pattern: "-SCR$"}
        - {kind: shortage, pattern: "-SC$"}
      dispute_windows: {shortage: {days: 30, from: due_date}, chargeback: {days: 30, from: notified}}
      payment_overdue_days: 30
      reminder_lead_days: {po_ack_due: 1, asn_due: 1, invoice_due: 1, payment_due: 3, claim_deadline: 5}
      erp:
        type: webhook                # or folder {path, format}, or sftp {partner, mailbox, format}
        url: https://erp.example/acorn
        secret_env: ACORN_ERP_HMAC   # the HMAC-SHA256 key, by reference only
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: The kinds a deduction is classified as (``unclassified`` when no pattern matches).
DEDUCTION_KINDS = (
    "shortage",
    "shortage_reversal",
    "price",
    "chargeback",
    "coop",
    "returns",
    "provision",
)
DeductionKind = Literal[
    "shortage", "shortage_reversal", "price", "chargeback", "coop", "returns", "provision"
]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DeductionPattern(_Part):
    """A deduction kind and the regular expression (searched, case-insensitive) that tells it."""

    kind: DeductionKind
    pattern: str = Field(min_length=1)
    #: remove the matched part to find the invoice it is about (``INV-1-SC`` -> ``INV-1``)
    strip: bool = True

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return value


DEFAULT_PATTERNS: tuple[DeductionPattern, ...] = (
    DeductionPattern(kind="shortage", pattern=r"-SCRSC$"),  # a re-issued shortage claim
    DeductionPattern(kind="shortage_reversal", pattern=r"-SCR$"),
    DeductionPattern(kind="shortage", pattern=r"-SC$"),
    DeductionPattern(kind="price", pattern=r"-PC$"),
    DeductionPattern(kind="chargeback", pattern=r"^VCBSINV", strip=False),
    DeductionPattern(kind="coop", pattern=r"CO-?OP", strip=False),
    DeductionPattern(kind="returns", pattern=r"^(RTV|RET|RMA)", strip=False),
    DeductionPattern(kind="provision", pattern=r"PROVISION", strip=False),
)


class DisputeWindow(_Part):
    """How long a claim of one kind can be disputed, counted from the invoice due date or the notification."""

    days: int = Field(default=30, ge=0)
    from_: Literal["due_date", "notified"] = Field(default="notified", alias="from")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


DEFAULT_WINDOWS: dict[str, DisputeWindow] = {
    "shortage": DisputeWindow.model_validate({"days": 30, "from": "due_date"}),
    "price": DisputeWindow.model_validate({"days": 30, "from": "due_date"}),
    "chargeback": DisputeWindow.model_validate({"days": 30, "from": "notified"}),
}


class ReminderLeads(_Part):
    """Days before each deadline that its reminder is sent (0: on the day)."""

    po_ack_due: int = Field(default=1, ge=0)
    asn_due: int = Field(default=1, ge=0)
    invoice_due: int = Field(default=1, ge=0)
    payment_due: int = Field(default=3, ge=0)
    claim_deadline: int = Field(default=5, ge=0)


class ReminderRules(_Part):
    """When each document is due, in days from the thing before it."""

    po_ack_days: int = Field(default=1, ge=0, description="PO acknowledgement due after the order date")
    asn_before_delivery_days: int = Field(default=1, ge=0, description="ASN due before the window opens")
    invoice_after_ship_days: int = Field(default=3, ge=0, description="invoice due after the ship date")


class FolderChannel(_Part):
    """ERP events written as files (canonical XML or CSV) into a folder, one file per event."""

    type: Literal["folder"]
    path: Path
    format: Literal["xml", "csv"] = "xml"
    max_attempts: int = Field(default=3, ge=1)


class SftpChannel(_Part):
    """ERP events written as files (canonical XML or CSV), one per event, into the outbox of an SFTP
    mailbox of a partner profile (usually the ERP's own): the SFTP transport, its host key pinning,
    credentials and rename-into-place, as that profile configures them."""

    type: Literal["sftp"]
    partner: str = Field(min_length=1, description="the profile whose mailbox it is")
    mailbox: str = Field(min_length=1, description="an SFTP mailbox of that profile")
    format: Literal["xml", "csv"] = "xml"
    max_attempts: int = Field(default=5, ge=1)


class WebhookChannel(_Part):
    """ERP events POSTed as JSON, signed with HMAC-SHA256 (header ``X-Acorn-Signature: sha256=<hex>``)."""

    type: Literal["webhook"]
    url: str = Field(pattern=r"^https?://")
    secret_env: str | None = None
    secret_file: Path | None = None
    max_attempts: int = Field(default=5, ge=1)
    timeout_seconds: float = Field(default=10, gt=0)


ErpChannel = Annotated[FolderChannel | SftpChannel | WebhookChannel, Field(discriminator="type")]


class SettlementSettings(_Part):
    """How a partner's remittances are read and its claims, returns and reminders handled."""

    deduction_patterns: list[DeductionPattern] = list(DEFAULT_PATTERNS)
    dispute_windows: dict[DeductionKind, DisputeWindow] = dict(DEFAULT_WINDOWS)  # type: ignore[arg-type,assignment]
    default_window: DisputeWindow = DisputeWindow.model_validate({"days": 30, "from": "notified"})
    #: days after the due date an unpaid invoice becomes overdue
    payment_overdue_days: int = Field(default=30, ge=0)
    #: net days when neither the invoice nor the profile's invoice terms say
    default_net_days: int = Field(default=60, ge=0)
    #: a short-pay or balance below this is paid
    tolerance: str = "0.01"
    reminder_lead_days: ReminderLeads = ReminderLeads()
    reminder_rules: ReminderRules = ReminderRules()
    erp: ErpChannel | None = None

    def window(self, kind: str) -> DisputeWindow:
        """The dispute window of claims of ``kind``."""
        return self.dispute_windows.get(kind, self.default_window)  # type: ignore[call-overload,no-any-return]
