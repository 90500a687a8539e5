"""Automatic ship notices: the warehouse's ASN, once stored, goes on to Amazon as our 856 / DESADV.

For the pipeline's hooks (:mod:`gateway.service.hooks`): a stored ``shipment`` that another partner
(the warehouse) reported for a PO of a partner whose profile says ``rules.ship_notice.automatic``
is built, pre-checked and queued by :func:`~gateway.shipping.send.send_ship_notice`, each in a
savepoint; one that breaks a rule is recorded ``blocked`` with its reasons for an operator.
Idempotent: a notice already queued is the answer the second time (a replay, a crash before the
commit), so nothing is sent twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date

from sqlmodel import Session

from gateway.config import PartnerDirectory
from gateway.mapping.registry import MappingRegistry
from gateway.orders.book import PoBundle, load_bundles
from gateway.shipping.send import ShipNoticeError, send_ship_notice
from gateway.store.archive import Archive
from gateway.store.models import Document

log = logging.getLogger(__name__)


def _po_partner(session: Session, row: Document) -> tuple[str | None, dict[str, PoBundle]]:
    """The partner whose PO ``row`` ships (``None`` when the PO is not stored), and the order book
    loaded to know it (the notice's draft takes it, not loading it again)."""
    if not row.po_number:
        return None, {}
    bundles = load_bundles(session, [row.po_number])
    bundle = bundles.get(row.po_number)
    return (bundle.po.row.partner if bundle is not None and bundle.po is not None else None), bundles


def on_documents_stored(
    session: Session,
    partners: PartnerDirectory,
    mappings: MappingRegistry,
    archive: Archive,
    documents: Sequence[Document],
    *,
    today: date | None = None,
    actor: str = "gateway",
) -> list[str]:
    """Send the ship notices ``documents`` call for; returns notes for the message's timeline."""
    notes: list[str] = []
    for row in documents:
        if row.type != "shipment":
            continue
        owner, bundles = _po_partner(session, row)
        if owner is None or owner == row.partner or owner not in partners:
            continue  # no PO yet, or the partner's own ASN: nothing to pass on
        if not partners.get(owner).rules.ship_notice.automatic:
            continue
        try:
            with session.begin_nested():
                outcome = send_ship_notice(
                    session, partners, mappings, archive, row.business_key, today=today, actor=actor,
                    bundles=bundles,
                )  # fmt: skip
        except ShipNoticeError as exc:
            log.warning("ship notice for %s not sent: %s", row.business_key, exc)
            notes.append(f"ship notice for {row.business_key} not sent: {exc}")
            continue
        state = outcome.record.status
        reasons = "; ".join(str(r) for r in outcome.reasons)
        notes.append(
            f"ship notice {outcome.notice.shipment_id} to {owner} {state}"
            + (f": {reasons}" if reasons else "")
        )
    return notes
