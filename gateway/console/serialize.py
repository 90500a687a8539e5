"""Rows as plain JSON-ready dicts for the API (no secrets, no internal lease fields)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from gateway.store.models import AuditEntry, Discrepancy, Document, MailboxStatus, Message, MessageEvent


def _ts(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return _ts(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def message(m: Message) -> dict[str, Any]:
    return {
        "id": m.id,
        "direction": m.direction,
        "partner": m.partner,
        "mailbox": m.mailbox,
        "filename": m.filename,
        "size": m.size,
        "sha256": m.sha256,
        "standard": m.standard,
        "state": m.state,
        "document_types": list(m.document_types or []),
        "interchange_control": m.interchange_control,
        "group_controls": list(m.group_controls or []),
        "transaction_controls": list(m.transaction_controls or []),
        "sender": m.sender_id,
        "receiver": m.receiver_id,
        "error": None
        if m.error_code is None and m.error_message is None
        else {
            "stage": m.error_stage,
            "code": m.error_code,
            "message": m.error_message,
            "position": m.error_position,
        },
        "attempts": m.attempts,
        "duplicate_of": m.duplicate_of_id,
        "replay_of": m.replay_of_id,
        "ack_message": m.ack_message_id,
        "created_at": _ts(m.created_at),
        "updated_at": _ts(m.updated_at),
        "completed_at": _ts(m.completed_at),
    }


def event(e: MessageEvent) -> dict[str, Any]:
    return {"at": _ts(e.at), "state": e.state, "actor": e.actor, "note": e.note, "detail": e.detail}


def document(d: Document, *, data: bool = False) -> dict[str, Any]:
    out = {
        "id": d.id,
        "partner": d.partner,
        "type": d.type,
        "business_key": d.business_key,
        "revision": d.revision,
        "status": d.status,
        "po_number": d.po_number,
        "shipment_id": d.shipment_id,
        "invoice_number": d.invoice_number,
        "rma_number": d.rma_number,
        "document_date": _plain(d.document_date),
        "currency": d.currency,
        "total": _plain(d.total),
        "source_message_id": d.source_message_id,
        "updated_at": _ts(d.updated_at),
    }
    if data:
        out["data"] = d.data
    return out


def discrepancy(d: Discrepancy) -> dict[str, Any]:
    return {
        "id": d.id,
        "partner": d.partner,
        "kind": d.kind,
        "severity": d.severity,
        "status": d.status,
        "po_number": d.po_number,
        "shipment_id": d.shipment_id,
        "invoice_number": d.invoice_number,
        "rma_number": d.rma_number,
        "line_no": d.line_no,
        "expected": d.expected,
        "actual": d.actual,
        "amount_at_risk": _plain(d.amount_at_risk),
        "currency": d.currency,
        "notes": d.notes,
        "created_at": _ts(d.created_at),
        "updated_at": _ts(d.updated_at),
    }


def audit(a: AuditEntry) -> dict[str, Any]:
    return {
        "id": a.id,
        "at": _ts(a.at),
        "actor": a.actor,
        "action": a.action,
        "target_type": a.target_type,
        "target_id": a.target_id,
        "reason": a.reason,
        "detail": a.detail,
    }


def mailbox_status(s: MailboxStatus) -> dict[str, Any]:
    return {
        "partner": s.partner,
        "mailbox": s.mailbox,
        "last_poll_at": _ts(s.last_poll_at),
        "last_success_at": _ts(s.last_success_at),
        "last_error_at": _ts(s.last_error_at),
        "last_error": s.last_error,
        "consecutive_failures": s.consecutive_failures,
        "next_run_at": _ts(s.next_run_at),
        "last_duration_ms": s.last_duration_ms,
        "polls": s.polls,
        "errors": s.errors,
        "received": s.received,
        "sent": s.sent,
    }
