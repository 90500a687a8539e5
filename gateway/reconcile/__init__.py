"""Reconciliation: PO <-> ASN <-> invoice <-> return, as discrepancies that update and close themselves.

The entry points live in :mod:`gateway.reconcile.scopes`; the rules in :mod:`.rules` and
:mod:`.doc_rules`; how findings become discrepancy rows in :mod:`.sync`; the periodic checks in
:mod:`.aging`. What a PO holds and the quantities on its lines come from :mod:`gateway.orders`.
"""

from __future__ import annotations

from gateway.reconcile.aging import check_aging
from gateway.reconcile.scopes import (
    ReconcileReport,
    discrepancy_json,
    list_discrepancies,
    reconcile_all,
    reconcile_documents,
    reconcile_po,
    rules_for,
    run_scopes,
    scopes_of,
)
from gateway.reconcile.sync import STATUSES, TRANSITIONS, DiscrepancyError, set_discrepancy_status

__all__ = [
    "STATUSES",
    "TRANSITIONS",
    "DiscrepancyError",
    "ReconcileReport",
    "check_aging",
    "discrepancy_json",
    "list_discrepancies",
    "reconcile_all",
    "reconcile_documents",
    "reconcile_po",
    "rules_for",
    "run_scopes",
    "scopes_of",
    "set_discrepancy_status",
]
