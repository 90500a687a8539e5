"""What settlement does after documents are stored (the ``settlement`` hook of the pipeline).

A stored remittance opens a claim for each new deduction and applies its reversals
(:func:`gateway.settlement.claims.on_remittance`); a returns deduction and a stored return
authorization owe ERP events (:mod:`gateway.settlement.ledger`). Idempotent: claims are unique by
reference and ERP events by key, so running it again over the same documents changes nothing.
Delivering the ERP events (:mod:`gateway.settlement.erp_delivery`) and sending reminders is the
scheduler's hourly job (:func:`hourly`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from sqlmodel import Session

from gateway.config import PartnerDirectory
from gateway.config.settings import AlertSettings
from gateway.settlement import claims, erp_delivery, ledger, reminders
from gateway.store.models import Document


def on_documents_stored(session: Session, partners: PartnerDirectory, rows: Sequence[Document]) -> list[str]:
    """Claims and ERP events owed by ``rows``; notes for the message's timeline."""
    notes: list[str] = []
    for row in rows:
        if row.type == "remittance":
            for claim in claims.on_remittance(session, partners, row):
                notes.append(f"claim {claim.reference} {claim.status} ({claim.kind}, {claim.amount})")
                ledger.on_returns_deduction(session, claim)
        elif row.type == "return_authorization":
            made = ledger.on_return(session, row)
            if made:
                notes.append(f"{len(made)} ERP event(s) for return {row.business_key}")
    return notes


def hourly(
    session: Session,
    partners: PartnerDirectory,
    alerts: AlertSettings | None,
    today: date,
    env: Mapping[str, str] | None = None,
) -> dict[str, int]:
    """Send the reminders due today and deliver the pending ERP events."""
    sent = reminders.run_reminders(session, partners, alerts, today)
    session.commit()
    counts = erp_delivery.deliver_pending(session, partners, env=env)
    ledger.refund_ledger(session)
    session.commit()
    return {"reminders": len(sent), "erp_delivered": counts.delivered, "erp_failed": counts.failed}
