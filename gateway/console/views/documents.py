"""Business documents: a purchase order with everything that followed it, and one document in full."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from sqlmodel import col, select

from gateway.console import actions
from gateway.console.auth import requires
from gateway.console.context import current_user, db, runtime
from gateway.console.csv_export import attribute_rows, csv_response, wants_csv
from gateway.console.orders import (
    discrepancies_of_po,
    documents_of_po,
    list_purchase_orders,
    purchase_order_query,
    timeline_of_po,
)
from gateway.console.paging import every_row, query_args
from gateway.console.shipments import line_totals, package_rows
from gateway.console.views.claims import payment_states
from gateway.console.views.money import OFFERED, action_reason, blocked_reasons, describe_reason, local_target
from gateway.outbound.render import DOCUMENTS
from gateway.store.models import (
    Document,
    DocumentLine,
    DocumentMessage,
    InventoryFeedRecord,
    Message,
    ShipNoticeRecord,
)

bp = Blueprint("documents", __name__)

PO_CSV = ("id", "partner", "po_number", "document_date", "delivery_date", "currency", "total", "status")
TYPE_ORDER = ("purchase_order", "shipment", "invoice", "return_authorization")
TYPE_TITLES = {
    "purchase_order": "Purchase orders",
    "shipment": "Ship notices (ASN)",
    "invoice": "Invoices",
    "return_authorization": "Returns",
    "po_acknowledgement": "PO acknowledgements (855 / ORDRSP)",
}


def messages_by_document(doc_ids: list[int]) -> dict[int, list[tuple[Message, str]]]:
    """For each document id: the messages behind it and the link's role, newest first."""
    if not doc_ids:
        return {}
    rows = (
        db()
        .exec(
            select(DocumentMessage.document_id, DocumentMessage.role, Message)
            .join(Message, col(Message.id) == DocumentMessage.message_id)
            .where(col(DocumentMessage.document_id).in_(doc_ids))
            .order_by(col(Message.id).desc())
        )
        .all()
    )
    out: dict[int, list[tuple[Message, str]]] = defaultdict(list)
    for doc_id, role, message in rows:
        out[doc_id].append((message, role))
    return out


@bp.route("/po")
def find_po() -> Any:
    """With ``?po=NUMBER`` of a known PO: that PO's page; otherwise the paged list of POs."""
    args = query_args(("po", "partner", "status"))
    session = db()
    if args["po"] and documents_of_po(session, args["po"]):
        return redirect(url_for("documents.purchase_order", po_number=args["po"]))
    if wants_csv():
        rows = every_row(session, purchase_order_query(args), Document.id)
        return csv_response("purchase-orders.csv", PO_CSV, attribute_rows(rows, PO_CSV))
    listing = list_purchase_orders(session, args)
    return render_template("po_list.html", listing=listing, args={k: v for k, v in args.items() if v})


@bp.route("/po/<path:po_number>")
def purchase_order(po_number: str) -> Any:
    session = db()
    partner = request.args.get("partner") or None
    docs = documents_of_po(session, po_number)
    documents = [d for d in docs.values() if partner is None or d.partner == partner]
    groups: dict[str, list[Document]] = {t: [] for t in TYPE_ORDER}
    for doc in sorted(documents, key=lambda d: (d.document_date is None, d.document_date, d.id)):
        groups.setdefault(doc.type, []).append(doc)
    discrepancies = discrepancies_of_po(session, po_number)
    notices = ship_notices_of(documents)
    return render_template(
        "po.html",
        po_number=po_number,
        groups=groups,
        titles=TYPE_TITLES,
        found=bool(documents),
        messages=messages_by_document([d.id for d in documents if d.id is not None]),
        discrepancies=discrepancies,
        offered=OFFERED,
        payments=payment_states(po_number=po_number),
        timeline=timeline_of_po(session, documents, notices),
        describe=describe_reason,
        ship_notices=notices,
        inventory_feeds=latest_inventory_feeds({d.partner for d in documents if d.type == "purchase_order"}),
        ack_reasons=blocked_reasons([d.id for d in groups.get("po_acknowledgement", []) if d.id is not None]),
    ), (200 if documents or discrepancies else 404)


def latest_inventory_feeds(partners: set[str]) -> list[tuple[InventoryFeedRecord, str]]:
    """The latest inventory and cost feed (846 / INVRPT) recorded for each of ``partners`` and the
    document it goes as: a feed covers the partner's items, not one PO, so the PO's page names the
    latest and links to the feeds' list."""
    found = []
    for partner in sorted(partners):
        query = select(InventoryFeedRecord).where(InventoryFeedRecord.partner == partner)
        record = db().exec(query.order_by(col(InventoryFeedRecord.id).desc()).limit(1)).first()
        if record is not None:
            known = partner in runtime().partners
            standard = runtime().partners.get(partner).standard if known else "x12"
            found.append((record, DOCUMENTS["inventory_feed"][standard].document))
    return found


def ship_notices_of(documents: list[Document]) -> list[ShipNoticeRecord]:
    """The ship notices we built from the PO's shipments (queued or blocked), oldest first."""
    shipments = [d.business_key for d in documents if d.type == "shipment"]
    if not shipments:
        return []
    query = select(ShipNoticeRecord).where(col(ShipNoticeRecord.source_shipment_id).in_(shipments))
    return list(db().exec(query.order_by(col(ShipNoticeRecord.id))).all())


@bp.route("/po/<path:po_number>/acknowledgement/<any(approve, cancel):verb>", methods=["POST"])
@requires("operator")
def acknowledgement_action(po_number: str, verb: str) -> Any:
    """Approve (queue) or cancel the held or blocked PO acknowledgement of a PO; audited."""
    user = current_user()
    assert user is not None
    partner = (request.form.get("partner") or "").strip()
    if not partner:
        abort(400, description="which partner's acknowledgement: the form names none")
    try:
        if verb == "approve":
            actions.approve_acknowledgement(runtime(), partner, po_number, user.username)
        else:
            actions.cancel_acknowledgement(runtime(), partner, po_number, user.username)
    except ValueError as exc:  # wrong state, a pre-check that fails: the owner's readable reason
        db().rollback()
        flash(f"PO acknowledgement {po_number}: {exc}", "error")
    else:
        flash(f"PO acknowledgement {po_number}: {verb} done.", "info")
    return redirect(url_for("documents.purchase_order", po_number=po_number))


@bp.route("/ship-notices/<int:record_id>/<any(approve, cancel):verb>", methods=["POST"])
@requires("operator")
def ship_notice_action(record_id: int, verb: str) -> Any:
    """Approve (build again from the ASN and PO of now, queue if it passes) or cancel (with a
    reason) a blocked ship notice; audited (:mod:`gateway.shipping.review`). Back to ``next``
    (the PO's page) or to the first PO it ships."""
    user = current_user()
    assert user is not None
    record = db().get(ShipNoticeRecord, record_id)
    if record is None:
        abort(404, description=f"there is no ship notice {record_id}")
    name, po_numbers = record.shipment_id, list(record.po_numbers)
    note = action_reason(verb)
    try:
        if verb == "approve":
            actions.approve_ship_notice(runtime(), record_id, user.username)
        else:
            actions.cancel_ship_notice(runtime(), record_id, user.username, note)
    except ValueError as exc:  # not blocked, still failing: the owner's readable reason
        db().rollback()
        flash(f"Ship notice {name}: {exc}", "error")
    else:
        flash(f"Ship notice {name}: {verb} done.", "info")
    target = request.form.get("next") or ""
    if local_target(target):
        return redirect(target)
    if po_numbers:
        return redirect(url_for("documents.purchase_order", po_number=po_numbers[0]))
    return redirect(url_for("documents.find_po"))


@bp.route("/ship-notices/<int:record_id>/labels.pdf")
def carton_labels(record_id: int) -> Any:
    """The carton labels (GS1-128, one page a carton) of a ship notice, as the PDF archived with it."""
    record = db().get(ShipNoticeRecord, record_id)
    if record is None or not record.labels_key:
        abort(404, description=f"ship notice {record_id} has no carton labels")
    data = runtime().archive.read(record.labels_key)
    name = f"labels-{record.shipment_id}.pdf".replace('"', "")
    return Response(
        data, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'}
    )


@bp.route("/documents/<int:document_id>")
def document(document_id: int) -> Any:
    session = db()
    doc = session.get(Document, document_id)
    if doc is None:
        abort(404, description=f"there is no document {document_id}")
    lines = list(
        session.exec(
            select(DocumentLine).where(DocumentLine.document_id == document_id).order_by(col(DocumentLine.id))
        )
    )
    packages = package_rows(doc.data or {}) if doc.type == "shipment" else []
    return render_template(
        "document.html",
        doc=doc,
        lines=lines,
        packages=packages,
        totals=line_totals(packages),
        payment=payment_states(invoice_number=doc.invoice_number).get(doc.business_key)
        if doc.type == "invoice" and doc.invoice_number
        else None,
        messages=messages_by_document([document_id]).get(document_id, []),
        titles=TYPE_TITLES,
    )
