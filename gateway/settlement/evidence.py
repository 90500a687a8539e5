"""A claim's evidence and its dispute pack (a ZIP with an index).

:func:`gather` lists what ACORN knows for a claim: the invoice; the ASN with its SSCCs (the
carton labels), BOL, PRO and carrier; the acknowledgement (997 / CONTRL, the AS2 MDN) proving the
ASN arrived, with when; the receipt lines of the PO; and, per carton, what was shipped against
what was received. :func:`attach` adds a file (kept under ``<folder>/<claim id>/``) and
:func:`export_pack` writes everything as one ZIP: ``index.json`` and ``index.txt`` first, then
each document as JSON and each attached file.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from gateway.canonical import Receipt, Shipment
from gateway.orders.book import load_bundles, money
from gateway.reconcile.received import cartons
from gateway.store.models import Document, DocumentMessage, Message
from gateway.store.settlement import Claim


def _doc_item(kind: str, row: Document, label: str, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "label": label, "document_id": row.id, "ref": row.business_key, **extra}


def _acks(session: Session, row: Document) -> list[dict[str, Any]]:
    """The acknowledgements of the messages that carried document ``row`` to the partner."""
    links = session.exec(select(DocumentMessage).where(DocumentMessage.document_id == row.id)).all()
    out = []
    for link in links:
        message = session.get(Message, link.message_id)
        if message is None or (message.ack_message_id is None and message.ack_detail is None):
            continue
        out.append(
            {
                "kind": "acknowledgement",
                "label": f"{message.state} acknowledgement of message {message.id}",
                "message_id": message.id,
                "ack_message_id": message.ack_message_id,
                "sent_at": message.completed_at.isoformat() if message.completed_at else None,
                "acknowledged_at": message.updated_at.isoformat() if message.updated_at else None,
                "detail": message.ack_detail,
            }
        )
    return out


def gather(session: Session, claim: Claim) -> list[dict[str, Any]]:
    """What ACORN holds that bears on ``claim`` (see the module docstring)."""
    items: list[dict[str, Any]] = []
    if not claim.po_number:
        return items
    bundle = load_bundles(session, [claim.po_number])[claim.po_number]
    for inv in bundle.invoices:
        if inv.doc.invoice_number == claim.invoice_number:
            items.append(
                _doc_item(
                    "invoice", inv.row, f"invoice {inv.doc.invoice_number}", total=format(inv.doc.total, "f")
                )
            )
    receipts: list[Receipt] = [r.doc for r in bundle.receipts]
    for ship in bundle.shipments:
        if claim.shipment_id and ship.doc.shipment_id != claim.shipment_id:
            continue
        doc: Shipment = ship.doc
        ssccs = [p.sscc for p in doc.packages]
        items.append(
            _doc_item(
                "asn",
                ship.row,
                f"ASN {doc.shipment_id} shipped {doc.ship_date}",
                ssccs=ssccs,
                bol=doc.bol,
                pro_number=doc.pro_number,
                carrier=doc.carrier_scac,
                arn=doc.arn,
            )
        )
        if ssccs:
            items.append({"kind": "labels", "label": f"{len(ssccs)} carton labels (SSCC)", "ssccs": ssccs})
        items.extend(_acks(session, ship.row))
        for carton in cartons(doc, receipts):
            items.append(
                {
                    "kind": "carton",
                    "label": f"carton {carton.sscc}",
                    "sscc": carton.sscc,
                    "shipped": format(carton.shipped, "f"),
                    "received": None if carton.received is None else format(carton.received, "f"),
                }
            )
    for rec in bundle.receipts:
        lines = [
            {
                "line_no": x.line_no,
                "quantity": format(x.quantity, "f"),
                "damaged": x.damaged and format(x.damaged, "f"),
                "sscc": x.sscc,
            }
            for x in rec.doc.lines
            if rec.doc.po_of(x) == claim.po_number
        ]
        items.append(
            _doc_item(
                "receipt", rec.row, f"receipt {rec.doc.receipt_id} of {rec.doc.receipt_date}", lines=lines
            )
        )
    return items


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).name).strip("._") or "file"
    return cleaned[:120]


def attach(
    session: Session, claim: Claim, filename: str, content: bytes, actor: str, folder: Path
) -> dict[str, Any]:
    """Keep ``content`` as evidence of ``claim`` (under ``folder``); the caller commits."""
    from gateway.settlement.claims import record_event

    name = _safe_name(filename)
    target = folder / str(claim.id) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    item = {
        "kind": "attachment",
        "label": name,
        "path": str(target),
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "by": actor,
    }
    claim.evidence = [*claim.evidence, item]
    session.add(claim)
    session.flush()
    record_event(session, claim, actor, "attach", f"attached {name}", claim.status, {"file": name})
    return item


def export_pack(session: Session, claim: Claim) -> bytes:
    """The dispute pack of ``claim``: a ZIP with ``index.json``, ``index.txt``, documents and files."""
    buffer = io.BytesIO()
    index: list[dict[str, Any]] = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as pack:
        for n, item in enumerate(claim.evidence, start=1):
            entry = dict(item)
            if item.get("document_id"):
                row = session.get(Document, item["document_id"])
                if row is not None:
                    name = f"{n:02d}-{item['kind']}-{_safe_name(row.business_key)}.json"
                    pack.writestr(name, json.dumps(row.data, indent=2, sort_keys=True, default=str))
                    entry["file"] = name
            elif item.get("kind") == "attachment":
                path = Path(item["path"])
                if path.is_file():
                    name = f"{n:02d}-attachment-{_safe_name(item['label'])}"
                    pack.write(path, name)
                    entry["file"] = name
            index.append(entry)
        head = {
            "claim": claim.id,
            "reference": claim.reference,
            "kind": claim.kind,
            "status": claim.status,
            "amount": format(money(claim.amount), "f"),
            "currency": claim.currency,
            "invoice": claim.invoice_number,
            "po": claim.po_number,
            "shipment": claim.shipment_id,
            "deadline": claim.deadline.isoformat() if claim.deadline else None,
            "predicted": claim.predicted,
            "predicted_amount": None
            if claim.predicted_amount is None
            else format(money(claim.predicted_amount), "f"),
            "evidence": index,
        }
        pack.writestr("index.json", json.dumps(head, indent=2, default=str))
        text = [
            f"Claim {claim.reference} ({claim.kind}): {money(claim.amount)} {claim.currency or ''}".rstrip(),
            f"Invoice {claim.invoice_number}, PO {claim.po_number}, deadline {head['deadline']}",
            "",
        ]
        text += [
            f"{n:02d}. {e['label']}" + (f"  -> {e['file']}" if e.get("file") else "")
            for n, e in enumerate(index, start=1)
        ]
        pack.writestr("index.txt", "\n".join(text) + "\n")
    return buffer.getvalue()
