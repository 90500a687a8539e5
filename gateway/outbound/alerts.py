"""Alerts: to the log always, and to the webhook and e-mail of ``config.yaml`` (``alerts:``).

An :class:`Alert` is something a person should look at now (an invoice rejected and not
resent, a shipment not invoiced after N days...). :func:`deliver` logs every alert at
WARNING and, when configured, POSTs them as one JSON document to ``alerts.webhook_url`` and
sends one plain-text e-mail to ``alerts.email.to``. A delivery that fails is logged and
reported in the :class:`DeliveryReport`, never raised: an alert channel that is down must not
stop the checks that feed it. Nothing secret is ever put in an alert.

Webhook body::

    {"source": "acorn", "count": 2, "alerts": [{"kind": "not_invoiced", "partner": "amazon-us",
      "severity": "warning", "message": "...", "po_number": "...", "amount_at_risk": "120.00", ...}]}
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from gateway.config.settings import AlertSettings

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10.0


@dataclass
class Alert:
    """One thing to tell people about; ``new`` when it was not already known (and not yet sent)."""

    kind: str
    partner: str
    message: str
    severity: str = "warning"
    key: str = ""
    po_number: str | None = None
    shipment_id: str | None = None
    invoice_number: str | None = None
    rma_number: str | None = None
    amount_at_risk: Decimal | None = None
    currency: str | None = None
    discrepancy_id: int | None = None
    new: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "partner": self.partner,
            "severity": self.severity,
            "message": self.message,
            "po_number": self.po_number,
            "shipment_id": self.shipment_id,
            "invoice_number": self.invoice_number,
            "rma_number": self.rma_number,
            "amount_at_risk": None if self.amount_at_risk is None else format(self.amount_at_risk, "f"),
            "currency": self.currency,
            "discrepancy_id": self.discrepancy_id,
            "new": self.new,
        }

    def line(self) -> str:
        risk = f" [{self.amount_at_risk} {self.currency or ''}]".rstrip() if self.amount_at_risk else ""
        return f"{self.severity.upper()} {self.partner} {self.kind}: {self.message}{risk}"


@dataclass
class DeliveryReport:
    """Where alerts went: ``None`` for a channel that is not configured."""

    logged: int = 0
    webhook: bool | None = None
    email: bool | None = None
    errors: list[str] = field(default_factory=list)


def deliver(
    alerts: Sequence[Alert], settings: AlertSettings, *, timeout: float = TIMEOUT_SECONDS
) -> DeliveryReport:
    """Log ``alerts`` and send them to the configured webhook and e-mail (nothing when empty)."""
    report = DeliveryReport()
    if not alerts:
        return report
    for alert in alerts:
        log.warning("alert: %s", alert.line())
        report.logged += 1
    if settings.webhook_url:
        report.webhook = _post(settings.webhook_url, alerts, timeout, report.errors)
    if settings.email is not None:
        report.email = _mail(settings, alerts, timeout, report.errors)
    return report


def _post(url: str, alerts: Sequence[Alert], timeout: float, errors: list[str]) -> bool:
    import urllib.error  # urllib and smtplib only to send an alert (not on every import of reconcile)
    import urllib.request

    body = json.dumps(
        {"source": "acorn", "count": len(alerts), "alerts": [a.to_json() for a in alerts]}
    ).encode()
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json", "User-Agent": "acorn"}
    )
    try:  # a non-2xx answer raises HTTPError
        with urllib.request.urlopen(request, timeout=timeout):
            pass
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        status = getattr(exc, "code", None)
        text = f"webhook failed: {status} {reason}" if status else f"webhook failed: {reason}"
        errors.append(text)
        log.error("alert %s", text)
        return False
    return True


def _mail(settings: AlertSettings, alerts: Sequence[Alert], timeout: float, errors: list[str]) -> bool:
    import smtplib
    from email.message import EmailMessage

    email = settings.email
    assert email is not None
    message = EmailMessage()
    message["From"] = email.sender
    message["To"] = ", ".join(email.to)
    message["Subject"] = f"ACORN: {len(alerts)} alert(s)"
    message.set_content("\n".join(a.line() for a in alerts) + "\n")
    try:
        with smtplib.SMTP(email.smtp_host, email.smtp_port, timeout=timeout) as smtp:
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        errors.append(f"e-mail failed: {exc}")
        log.error("alert e-mail to %s failed: %s", ", ".join(email.to), exc)
        return False
    return True
