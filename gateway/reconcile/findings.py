"""A reconciliation finding and the collector that applies a partner's rules to findings.

A :class:`Finding` is one discrepancy as a rule sees it, with a stable key
``scope|kind|refs|line``. The *scope* is what one run re-examines as a whole (``po:N`` a
purchase order with its ASNs, invoices and returns; ``asn:S`` one shipment's cartons;
``inv:N`` the uses of one invoice number; ``rma:N`` one return; ``aging`` the periodic
checks), so that a finding of a scope that a run no longer produces can close itself
(:mod:`gateway.reconcile.sync`). :class:`Collector` drops the kinds a partner skips, sets
the severity (the partner's, else :data:`DEFAULT_SEVERITY`) and rounds money at risk to cents.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from gateway.config.rules import ReconciliationRules
from gateway.orders.book import money

KEY_LIMIT = 255

DEFAULT_SEVERITY: dict[str, str] = {
    "asn_without_po": "warning",
    "return_without_po": "warning",
    "return_without_shipment": "warning",
    "returned_over_shipped": "warning",
    "credit_note_missing": "warning",
    "fc_mismatch": "warning",
    "case_size_missing": "warning",
    "not_invoiced": "warning",
    "po_not_shipped": "warning",
    "return_rate_high": "warning",
    "carton_short_received": "warning",
}


@dataclass
class Finding:
    """One discrepancy as a rule sees it (see :class:`gateway.store.models.Discrepancy`)."""

    scope: str
    kind: str
    partner: str
    refs: tuple[str, ...] = ()
    po_number: str | None = None
    shipment_id: str | None = None
    invoice_number: str | None = None
    rma_number: str | None = None
    line_no: str | None = None
    expected: str | None = None
    actual: str | None = None
    amount_at_risk: Decimal | None = None
    currency: str | None = None
    severity: str = "error"
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """``scope|kind|refs|line``, hashed past 255 characters."""
        key = "|".join([self.scope, self.kind, *self.refs, self.line_no or ""])
        if len(key) <= KEY_LIMIT:
            return key
        head = f"{self.scope}|{self.kind}|"
        digest = hashlib.sha256(key.encode()).hexdigest()
        return (head + digest)[:KEY_LIMIT] if len(head) < KEY_LIMIT - 64 else digest


class Collector:
    """Collects findings of one scope, applying a partner's rules (skips, severities)."""

    def __init__(self, scope: str, partner: str, rules: ReconciliationRules, currency: str | None = None):
        self.scope, self.partner, self.rules, self.currency = scope, partner, rules, currency
        self.findings: dict[str, Finding] = {}

    def add(self, kind: str, refs: tuple[str, ...] = (), **values: Any) -> None:
        if not self.rules.on(kind):
            return
        severity = self.rules.severity.get(kind, DEFAULT_SEVERITY.get(kind, "error"))  # type: ignore[call-overload]
        values.setdefault("currency", self.currency)
        if values.get("amount_at_risk") is not None:
            values["amount_at_risk"] = money(values["amount_at_risk"])
        finding = Finding(
            self.scope, kind, values.pop("partner", self.partner), refs, severity=severity, **values
        )
        self.findings.setdefault(finding.key, finding)
