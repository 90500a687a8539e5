"""The OpenAPI 3.1 description of ``/api/`` (served as JSON and YAML; a test keeps it in step
with the routes)."""

from __future__ import annotations

from typing import Any

from gateway import __version__


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _q(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _p(name: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema or {"type": "string"}}


_INT = {"type": "integer"}
_ID = _p("id", _INT)
_LIMIT = _q("limit", "page size (1-200, default 50)", _INT)
_BEFORE = _q("before", "keyset cursor: only items with a smaller id (the previous page's `older`)", _INT)


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _items(name: str) -> dict[str, Any]:
    return _json({"type": "object", "properties": {"items": {"type": "array", "items": _ref(name)}}})


_ERRORS = {
    "400": {"$ref": "#/components/responses/BadRequest"},
    "401": {"$ref": "#/components/responses/Unauthorized"},
}
_WRITE_ERRORS = {
    **_ERRORS,
    "403": {"$ref": "#/components/responses/Forbidden"},
    "404": {"$ref": "#/components/responses/NotFound"},
    "501": {"$ref": "#/components/responses/NotAvailable"},
}


def _get(summary: str, params: list[dict[str, Any]], response: dict[str, Any]) -> dict[str, Any]:
    return {"get": {"summary": summary, "parameters": params, "responses": {"200": response, **_ERRORS}}}


def _post(
    summary: str, params: list[dict[str, Any]], body: str, response: dict[str, Any], code: str = "200"
) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "description": "Needs an API token of a user with the operator role. Written to the audit log.",
            "parameters": params,
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref(body)}}},
            "responses": {code: response, **_WRITE_ERRORS},
        }
    }


MESSAGE_FILTERS = [
    _q("partner", "partner name"),
    _q("direction", "in or out", {"type": "string", "enum": ["in", "out"]}),
    _q("state", "message state"),
    _q("type", "document type (e.g. 850, ORDERS)"),
    _q("since", "first day (YYYY-MM-DD, UTC)", {"type": "string", "format": "date"}),
    _q("until", "last day, inclusive (YYYY-MM-DD, UTC)", {"type": "string", "format": "date"}),
    _q("q", "PO, shipment, invoice or RMA number, control number, filename (prefix), sha256 prefix or id"),
    _BEFORE,
    _q("after", "keyset cursor for the newer page (the page's `newer`)", _INT),
    _LIMIT,
]

_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_NINT = {"type": ["integer", "null"]}

SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "properties": {"error": _STR}, "required": ["error"]},
    "MessageError": {
        "type": ["object", "null"],
        "properties": {
            "stage": _NSTR,
            "code": _NSTR,
            "message": _NSTR,
            "position": {
                "type": ["object", "null"],
                "description": "interchange, group, transaction, "
                "segment (ordinal in the file), tag, element, component, offset",
            },
        },
    },
    "Message": {
        "type": "object",
        "properties": {
            "id": _INT,
            "direction": _STR,
            "partner": _NSTR,
            "mailbox": _NSTR,
            "filename": _NSTR,
            "size": _INT,
            "sha256": _STR,
            "standard": _NSTR,
            "state": _STR,
            "document_types": {"type": "array", "items": _STR},
            "interchange_control": _NSTR,
            "group_controls": {"type": "array", "items": _STR},
            "transaction_controls": {"type": "array", "items": _STR},
            "sender": _NSTR,
            "receiver": _NSTR,
            "error": _ref("MessageError"),
            "attempts": _INT,
            "duplicate_of": _NINT,
            "replay_of": _NINT,
            "ack_message": _NINT,
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": _NSTR,
            "completed_at": _NSTR,
        },
    },
    "MessagePage": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": _ref("Message")},
            "older": {**_NINT, "description": "pass as `before` for the next (older) page"},
            "newer": {**_NINT, "description": "pass as `after` for the previous (newer) page"},
            "total": {**_NINT, "description": "null when counting would be slow"},
            "total_capped": {"type": "boolean", "description": "the total is a lower bound (10,000+)"},
            "total_approximate": {"type": "boolean"},
        },
    },
    "Event": {
        "type": "object",
        "properties": {
            "at": _STR,
            "state": _STR,
            "actor": _NSTR,
            "note": _NSTR,
            "detail": {"type": ["object", "null"]},
        },
    },
    "Document": {
        "type": "object",
        "properties": {
            "id": _INT,
            "partner": _STR,
            "type": _STR,
            "business_key": _STR,
            "revision": _INT,
            "status": _NSTR,
            "po_number": _NSTR,
            "shipment_id": _NSTR,
            "invoice_number": _NSTR,
            "rma_number": _NSTR,
            "document_date": _NSTR,
            "currency": _NSTR,
            "total": {**_NSTR, "description": "decimal as a string"},
            "source_message_id": _NINT,
            "updated_at": _NSTR,
            "data": {"type": "object", "description": "the canonical document (document endpoint only)"},
        },
    },
    "MessageDetail": {
        "allOf": [
            _ref("Message"),
            {
                "type": "object",
                "properties": {
                    "events": {"type": "array", "items": _ref("Event")},
                    "documents": {"type": "array", "items": _ref("Document")},
                    "related": {"type": "array", "items": _INT},
                },
            },
        ]
    },
    "Discrepancy": {
        "type": "object",
        "properties": {
            "id": _INT,
            "partner": _STR,
            "kind": _STR,
            "severity": _STR,
            "status": _STR,
            "po_number": _NSTR,
            "shipment_id": _NSTR,
            "invoice_number": _NSTR,
            "rma_number": _NSTR,
            "line_no": _NSTR,
            "expected": _NSTR,
            "actual": _NSTR,
            "amount_at_risk": _NSTR,
            "currency": _NSTR,
            "notes": {"type": "array", "items": {"type": "object"}},
            "created_at": _STR,
            "updated_at": _STR,
        },
    },
    "Invoice": {
        "allOf": [
            _ref("Document"),
            {"type": "object", "properties": {"blocked_reasons": {"type": "array", "items": {}}}},
        ]
    },
    "MailboxStatus": {
        "type": "object",
        "properties": {
            "partner": _STR,
            "mailbox": _STR,
            "last_poll_at": _NSTR,
            "last_success_at": _NSTR,
            "last_error_at": _NSTR,
            "last_error": _NSTR,
            "consecutive_failures": _INT,
            "next_run_at": _NSTR,
            "last_duration_ms": _NINT,
            "polls": _INT,
            "errors": _INT,
            "received": _INT,
            "sent": _INT,
        },
    },
    "Partner": {
        "type": "object",
        "properties": {
            "name": _STR,
            "description": _NSTR,
            "standard": _STR,
            "version": _STR,
            "mailboxes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": _STR,
                        "type": _STR,
                        "interval": {"type": "number"},
                        "enabled": {"type": "boolean"},
                        "status": {"oneOf": [_ref("MailboxStatus"), {"type": "null"}]},
                    },
                },
            },
            "mapping_overlays": {"type": "array", "items": _STR},
        },
    },
    "AuditEntry": {
        "type": "object",
        "properties": {
            "id": _INT,
            "at": _STR,
            "actor": _STR,
            "action": _STR,
            "target_type": _NSTR,
            "target_id": _NSTR,
            "reason": _NSTR,
            "detail": {"type": ["object", "null"]},
        },
    },
    "Reason": {"type": "object", "properties": {"reason": _STR}, "required": ["reason"]},
    "ReplayRequest": {
        "type": "object",
        "properties": {"ids": {"type": "array", "items": _INT, "maxItems": 1000}, "reason": _STR},
        "required": ["ids", "reason"],
    },
    "BulkReplayRequest": {
        "type": "object",
        "properties": {
            "partner": {**_NSTR, "description": "omit for every partner"},
            "since": {**_NSTR, "format": "date"},
            "reason": _STR,
        },
        "required": ["reason"],
    },
    "Outcomes": {
        "type": "object",
        "properties": {
            "outcomes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "message_id": _INT,
                        "state": _STR,
                        "error": _NSTR,
                        "ok": {"type": "boolean"},
                    },
                },
            }
        },
    },
    "Job": {
        "type": "object",
        "properties": {
            "id": _STR,
            "partner": _NSTR,
            "actor": _STR,
            "reason": _STR,
            "since": _NSTR,
            "state": {"type": "string", "enum": ["running", "finished", "crashed"]},
            "total": _INT,
            "processed": _INT,
            "succeeded": _INT,
            "failed": _INT,
            "percent": _INT,
            "error": _NSTR,
            "errors": {"type": "array", "items": {"type": "object"}},
            "started_at": _STR,
            "finished_at": _NSTR,
            "audit_id": _INT,
        },
    },
    "Tally": {
        "type": "object",
        "properties": {
            "total": _INT,
            "by_state": {"type": "object", "additionalProperties": _INT},
            "by_partner": {"type": "object", "additionalProperties": _INT},
            "by_type": {"type": "object", "additionalProperties": _INT},
        },
    },
    "Dashboard": {
        "type": "object",
        "properties": {
            "last_day": _ref("Tally"),
            "last_week": _ref("Tally"),
            "mailboxes": {"type": "array", "items": _ref("MailboxStatus")},
            "open_discrepancies": _INT,
        },
    },
}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


def openapi_document() -> dict[str, Any]:
    """The whole OpenAPI document."""
    paths: dict[str, Any] = {
        "/api/messages": _get(
            "List messages, newest first (keyset pages)", MESSAGE_FILTERS, _json(_ref("MessagePage"))
        ),
        "/api/messages/{id}": _get(
            "One message: metadata, error, timeline, documents, related messages",
            [_ID],
            _json(_ref("MessageDetail")),
        ),
        "/api/messages/{id}/raw": _get(
            "The archived payload, byte for byte",
            [_ID],
            {"description": "OK", "content": {"application/octet-stream": {}}},
        ),
        "/api/messages/{id}/replay": _post(
            "Replay one message from its archived bytes", [_ID], "Reason", _json(_ref("Outcomes"))
        ),
        "/api/messages/{id}/resend": _post(
            "Queue an outbound message again", [_ID], "Reason", _json(_ref("Outcomes"))
        ),
        "/api/replay": _post("Replay several messages", [], "ReplayRequest", _json(_ref("Outcomes"))),
        "/api/bulk-replay": _post(
            "Replay every failed message of a partner in the background",
            [],
            "BulkReplayRequest",
            _json(_ref("Job"), "Accepted: the job started"),
            "202",
        ),
        "/api/jobs/{id}": _get("A bulk replay's progress", [_p("id")], _json(_ref("Job"))),
        "/api/purchase-orders/{po_number}": _get(
            "A PO with its ASNs, invoices, returns and discrepancies, and the messages behind each",
            [_p("po_number")],
            _json(
                {
                    "type": "object",
                    "properties": {
                        "po_number": _STR,
                        "documents": {"type": "array", "items": _ref("Document")},
                        "discrepancies": {"type": "array", "items": _ref("Discrepancy")},
                    },
                }
            ),
        ),
        "/api/documents/{id}": _get(
            "One canonical document with its data and messages", [_ID], _json(_ref("Document"))
        ),
        "/api/discrepancies": _get(
            "Discrepancies, newest first",
            [
                _q("status", "open, acknowledged, resolved, disputed"),
                _q("partner", "partner"),
                _q("kind", "kind"),
                _q("po", "PO number"),
                _BEFORE,
                _LIMIT,
            ],
            _items("Discrepancy"),
        ),
        "/api/invoices": _get(
            "Invoices with status and blocked reasons",
            [
                _q("status", "draft, blocked, queued, sent, accepted, rejected"),
                _q("partner", "partner"),
                _q("po", "PO number"),
                _BEFORE,
                _LIMIT,
            ],
            _items("Invoice"),
        ),
        "/api/partners": _get("Partners, their mailboxes and mailbox health", [], _items("Partner")),
        "/api/audit": _get(
            "The audit log, newest first",
            [
                _q("actor", "user"),
                _q("action", "action"),
                _q("target_type", "message, partner, ..."),
                _q("target_id", "id of the target"),
                _BEFORE,
                _LIMIT,
            ],
            _items("AuditEntry"),
        ),
        "/api/dashboard": _get(
            "Counts for the last day and week, mailbox health, open discrepancies",
            [],
            _json(_ref("Dashboard")),
        ),
        "/api/openapi.json": _get("This document (JSON)", [], _json({"type": "object"})),
        "/api/openapi.yaml": _get(
            "This document (YAML)", [], {"description": "OK", "content": {"application/yaml": {}}}
        ),
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ACORN EDI gateway console API",
            "version": __version__,
            "description": "Read messages, documents, discrepancies and invoices; replay failed messages. "
            "Authenticate with `Authorization: Bearer <token>` (`acorn users token NAME`).",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": SCHEMAS,
            "responses": {
                "BadRequest": _error("Bad input"),
                "Unauthorized": _error("No or invalid token"),
                "Forbidden": _error("The user's role does not allow this, or no token was used"),
                "NotFound": _error("No such thing"),
                "NotAvailable": _error("The action's module is not installed in this build"),
            },
        },
    }
