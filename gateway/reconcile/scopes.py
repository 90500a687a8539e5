"""Reconciliation: PO <-> ASN <-> invoice <-> return, as discrepancies that update and close themselves.

Entry points:

- :func:`reconcile_documents` — the pipeline calls it after storing the documents of an
  inbound message; it re-examines only the *scopes* those documents touch (their POs, the
  shipment's cartons, the invoice number's uses, the return) — the incremental pass.
- :func:`reconcile_po` — one PO number, with everything that names it.
- :func:`reconcile_all` — every scope in the store (optionally one partner's), in batches;
  it also re-examines the scopes of discrepancies still open whose documents moved away.
- :func:`set_discrepancy_status`, :func:`list_discrepancies`, :func:`discrepancy_json` — for
  the console and the CLI.
- :func:`check_aging` (from :mod:`gateway.reconcile.aging`) — the periodic checks that send alerts.

How documents of different partners relate, the units and the rules are described in
:mod:`gateway.orders.book` and :mod:`gateway.reconcile.rules`; how findings become rows in
:mod:`gateway.reconcile.sync`. Nothing here commits: the caller owns the transaction.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from gateway.canonical import Invoice, PurchaseOrder, Receipt, ReturnAuthorization, Shipment
from gateway.config import PartnerDirectory
from gateway.config.rules import PartnerRules
from gateway.orders.book import Loaded, chunks, is_live, load_bundles, safe_load
from gateway.reconcile.doc_rules import NumberUse, number_findings, return_findings, shipment_findings, use_of
from gateway.reconcile.findings import Finding
from gateway.reconcile.rules import po_findings
from gateway.reconcile.sync import (
    SyncCounts,
    lock_scopes,
    sync_findings,
)
from gateway.store.models import Discrepancy, Document, DocumentLine, utcnow
from gateway.store.money import InvoiceNumberUse

log = logging.getLogger(__name__)


BATCH = 500


@dataclass
class ReconcileReport:
    """What a reconciliation run looked at and changed."""

    scopes: int = 0
    purchase_orders: int = 0
    findings: int = 0
    counts: SyncCounts = field(default_factory=SyncCounts)

    def add(self, other: ReconcileReport) -> None:
        self.scopes += other.scopes
        self.purchase_orders += other.purchase_orders
        self.findings += other.findings
        self.counts.add(other.counts)

    def summary(self) -> str:
        c = self.counts
        return (
            f"{self.purchase_orders} PO(s) in {self.scopes} scope(s): {self.findings} finding(s); "
            f"{c.created} new, {c.reopened} reopened, {c.updated} updated, {c.closed} closed"
        )


def rules_for(partners: PartnerDirectory, name: str | None) -> PartnerRules:
    """The rules of partner ``name`` (the defaults for a partner without a profile)."""
    if name and name in partners:
        return partners.get(name).rules
    return PartnerRules()


def scopes_of(documents: Sequence[Document]) -> set[str]:
    """The scopes stored documents touch (see :mod:`gateway.reconcile.rules`)."""
    scopes: set[str] = set()
    for row in documents:
        doc = safe_load(row)
        if isinstance(doc, PurchaseOrder):
            scopes.add(f"po:{doc.po_number}")
        elif isinstance(doc, Shipment):
            scopes.add(f"asn:{doc.shipment_id}")
            scopes.update(f"po:{order.po_number}" for order in doc.orders)
        elif isinstance(doc, Invoice):
            scopes.update({f"po:{doc.po_number}", f"inv:{doc.invoice_number}"})
            if doc.return_authorization:
                scopes.add(f"rma:{doc.return_authorization}")
        elif isinstance(doc, ReturnAuthorization):
            scopes.add(f"rma:{doc.rma_number}")
            if doc.po_number:
                scopes.add(f"po:{doc.po_number}")
        elif isinstance(doc, Receipt):
            scopes.update(f"po:{doc.po_of(line)}" for line in doc.lines)
    return scopes


def reconcile_documents(
    session: Session, partners: PartnerDirectory, documents: Sequence[Document], *, today: date | None = None
) -> ReconcileReport:
    """Re-examine what ``documents`` (just stored) touch; the caller commits."""
    return run_scopes(session, partners, scopes_of(documents), today=today)


def reconcile_po(
    session: Session,
    partners: PartnerDirectory,
    partner: str | None,
    po_number: str,
    *,
    today: date | None = None,
) -> ReconcileReport:
    """Re-examine PO ``po_number`` and every shipment, invoice number and return that names it.

    The PO is matched by number across partners (``partner`` is only a label for the log).
    """
    scopes = {f"po:{po_number}"}
    bundle = load_bundles(session, [po_number])[po_number]
    scopes.update(f"asn:{s.doc.shipment_id}" for s in bundle.shipments)
    scopes.update(f"inv:{i.doc.invoice_number}" for i in bundle.invoices)
    scopes.update(f"rma:{r.doc.rma_number}" for r in bundle.returns)
    log.debug("reconciling PO %s (%s): %d scope(s)", po_number, partner or "any partner", len(scopes))
    return run_scopes(session, partners, scopes, today=today)


def all_scopes(session: Session, partner: str | None = None) -> list[str]:
    """Every scope the store holds (of one partner's documents), and those of unresolved discrepancies."""
    docs = select(  # type: ignore[call-overload]  # sqlmodel types select() up to four columns
        Document.type, Document.po_number, Document.shipment_id, Document.invoice_number, Document.rma_number
    )
    if partner:
        docs = docs.where(Document.partner == partner)
    scopes: set[str] = set()
    for kind, po, shipment, invoice, rma in session.exec(docs).all():
        if po:
            scopes.add(f"po:{po}")
        if kind == "shipment" and shipment:
            scopes.add(f"asn:{shipment}")
        if kind == "invoice" and invoice:
            scopes.add(f"inv:{invoice}")
        if kind == "return_authorization" and rma:
            scopes.add(f"rma:{rma}")
    lines = select(DocumentLine.po_number).distinct().where(col(DocumentLine.po_number).is_not(None))
    if partner:
        lines = lines.join(Document, col(Document.id) == DocumentLine.document_id).where(
            Document.partner == partner
        )
    scopes.update(f"po:{po}" for po in session.exec(lines).all())
    open_rows = select(Discrepancy.key).where(Discrepancy.status != "resolved")
    if partner:
        open_rows = open_rows.where(Discrepancy.partner == partner)
    for key in session.exec(open_rows).all():
        scope = key.split("|", 1)[0]
        if scope.split(":", 1)[0] in ("po", "asn", "inv", "rma"):
            scopes.add(scope)
    return sorted(scopes)


def reconcile_all(
    session: Session,
    partners: PartnerDirectory,
    *,
    partner: str | None = None,
    today: date | None = None,
    batch: int = BATCH,
) -> ReconcileReport:
    """Re-examine every scope (of ``partner``'s documents when given), ``batch`` scopes at a time."""
    report = ReconcileReport()
    lock_scopes(session, (), everything=True)
    for scopes in chunks(all_scopes(session, partner), batch):
        report.add(run_scopes(session, partners, scopes, today=today, lock=False))
    return report


def run_scopes(
    session: Session,
    partners: PartnerDirectory,
    scopes: Collection[str],
    *,
    today: date | None = None,
    lock: bool = True,
) -> ReconcileReport:
    """Compute the findings of ``scopes`` and sync them to discrepancy rows (locking them unless told)."""
    if not scopes:
        return ReconcileReport()
    today = today or utcnow().date()
    if lock:
        lock_scopes(session, scopes)
    by_kind: dict[str, set[str]] = defaultdict(set)
    for scope in scopes:
        prefix, _, value = scope.partition(":")
        by_kind[prefix].add(value)
    findings: list[Finding] = []
    bundles = load_bundles(session, by_kind["po"]) if by_kind["po"] else {}
    for bundle in bundles.values():
        owner = bundle.po.row.partner if bundle.po else None
        findings += po_findings(bundle, rules_for(partners, owner).reconcile, owner or "")
    findings += _shipment_scope(session, partners, by_kind["asn"], today)
    findings += _number_scope(session, partners, by_kind["inv"])
    findings += _return_scope(session, partners, by_kind["rma"], today)
    counts = sync_findings(session, scopes, findings)
    report = ReconcileReport(len(scopes), len(bundles), len(findings), counts)
    log.info("reconciled %s", report.summary())
    return report


def _documents(session: Session, kind: str, column: Any, values: Collection[str]) -> list[Document]:
    """Documents of ``kind`` whose ``column`` is one of ``values`` (the type is filtered here, so that
    SQLite picks the index of ``column``, not the far less selective one on the type)."""
    rows: list[Document] = []
    for batch in chunks(sorted(values)):
        rows += [r for r in session.exec(select(Document).where(column.in_(batch))).all() if r.type == kind]
    return rows


def _shipment_scope(
    session: Session, partners: PartnerDirectory, ids: Collection[str], today: date
) -> list[Finding]:
    found: list[Finding] = []
    for row in _documents(session, "shipment", Document.shipment_id, ids):
        doc = safe_load(row)
        if isinstance(doc, Shipment):
            found += shipment_findings(Loaded(row, doc), rules_for(partners, row.partner).reconcile, today)
    return found


def _number_scope(session: Session, partners: PartnerDirectory, numbers: Collection[str]) -> list[Finding]:
    if not numbers:
        return []
    uses: dict[str, list[NumberUse]] = defaultdict(list)
    prints: dict[str, set[str]] = defaultdict(set)
    for batch in chunks(sorted(numbers)):
        ledger = select(InvoiceNumberUse).where(col(InvoiceNumberUse.invoice_number).in_(batch))
        for use in session.exec(ledger.order_by(col(InvoiceNumberUse.id))).all():
            uses[use.invoice_number].append(
                NumberUse(use.partner, use.kind, use.po_number, use.shipment_id, use.invoice_date)
            )
            prints[use.invoice_number].add(use.fingerprint)
    totals: dict[str, Decimal] = {}
    for row in sorted(
        _documents(session, "invoice", Document.invoice_number, numbers), key=lambda r: r.id or 0
    ):
        doc = safe_load(row)
        if not isinstance(doc, Invoice):
            continue
        totals.setdefault(doc.invoice_number, doc.total)
        recorded = record_number_use(session, Loaded(row, doc), prints[doc.invoice_number])
        if recorded is not None:
            uses[doc.invoice_number].append(recorded)
    found: list[Finding] = []
    for number, seen in uses.items():
        rules = rules_for(partners, seen[0].partner).reconcile
        found += number_findings(number, seen, totals.get(number), rules)
    return found


def record_number_use(session: Session, inv: Loaded[Invoice], known: set[str]) -> NumberUse | None:
    """Add ``inv``'s use of its number to the ledger unless ``known`` has it; the new use, or ``None``."""
    use = use_of(inv)
    if use.fingerprint in known:
        return None
    known.add(use.fingerprint)
    session.add(
        InvoiceNumberUse(
            invoice_number=inv.doc.invoice_number,
            fingerprint=use.fingerprint,
            partner=use.partner,
            document_id=inv.row.id,
            kind=use.kind,
            po_number=use.po_number,
            shipment_id=use.shipment_id,
            invoice_date=use.invoice_date,
        )
    )
    session.flush()
    return use


def _shipped_or_billed(session: Session, po_number: str) -> bool:
    bundle = load_bundles(session, [po_number])[po_number]
    return bool(bundle.shipments or bundle.live_invoices("invoice"))


def _return_scope(
    session: Session, partners: PartnerDirectory, numbers: Collection[str], today: date
) -> list[Finding]:
    if not numbers:
        return []
    credited: set[str] = set()
    for batch in chunks(sorted(numbers)):
        query = select(Document).where(
            Document.type == "invoice", Document.data["return_authorization"].as_string().in_(batch)
        )
        for row in session.exec(query).all():
            doc = safe_load(row)
            if isinstance(doc, Invoice) and doc.kind == "credit_note" and is_live(row):
                credited.add(doc.return_authorization or "")
    found: list[Finding] = []
    for row in _documents(session, "return_authorization", Document.rma_number, numbers):
        doc = safe_load(row)
        if not isinstance(doc, ReturnAuthorization):
            continue
        shipped = None if doc.po_number else _ever_shipped(session, doc)
        rules = rules_for(partners, row.partner).reconcile
        # a credit note is owed once the PO shipped or was billed (neither: nothing to credit)
        billed = _shipped_or_billed(session, doc.po_number) if doc.po_number else shipped is not False
        found += return_findings(
            Loaded(row, doc), rules, doc.rma_number in credited, today, shipped, billed=billed
        )
    return found


def _ever_shipped(session: Session, doc: ReturnAuthorization) -> bool:
    """Whether any shipment line holds one of the returned items (by any of its ids)."""
    conditions = []
    for line in doc.lines:
        item = line.item
        for column, value in (
            (DocumentLine.asin, item.asin),
            (DocumentLine.ean, item.ean),
            (DocumentLine.upc, item.upc),
            (DocumentLine.vendor_sku, item.vendor_sku),
        ):
            if value:
                conditions.append(col(column) == value)
    if not conditions:
        return True  # only buyer SKUs: cannot tell
    query = (
        select(DocumentLine.id)
        .join(Document, col(Document.id) == DocumentLine.document_id)
        .where(Document.type == "shipment", or_(*conditions))
        .limit(1)
    )
    return session.exec(query).first() is not None


# -- for the console and the CLI ----------------------------------------------------------------


def list_discrepancies(
    session: Session,
    *,
    status: str | Collection[str] | None = None,
    partner: str | None = None,
    po_number: str | None = None,
    kind: str | None = None,
    limit: int | None = None,
) -> list[Discrepancy]:
    """Discrepancies, newest first, filtered."""
    query = select(Discrepancy)
    if isinstance(status, str):
        query = query.where(Discrepancy.status == status)
    elif status:
        query = query.where(col(Discrepancy.status).in_(list(status)))
    if partner:
        query = query.where(Discrepancy.partner == partner)
    if po_number:
        query = query.where(Discrepancy.po_number == po_number)
    if kind:
        query = query.where(Discrepancy.kind == kind)
    query = query.order_by(col(Discrepancy.updated_at).desc(), col(Discrepancy.id).desc())
    if limit:
        query = query.limit(limit)
    return list(session.exec(query).all())


def discrepancy_json(row: Discrepancy) -> dict[str, Any]:
    """A discrepancy as plain JSON data (decimals as strings)."""
    amount = row.amount_at_risk
    return {
        "id": row.id,
        "kind": row.kind,
        "severity": row.severity,
        "status": row.status,
        "partner": row.partner,
        "po_number": row.po_number,
        "shipment_id": row.shipment_id,
        "invoice_number": row.invoice_number,
        "rma_number": row.rma_number,
        "line_no": row.line_no,
        "expected": row.expected,
        "actual": row.actual,
        "amount_at_risk": None if amount is None else format(amount.quantize(Decimal("0.01")), "f"),
        "currency": row.currency,
        "notes": row.notes,
        "created_at": row.created_at.isoformat() if row.created_at else None,
        "updated_at": row.updated_at.isoformat() if row.updated_at else None,
    }
