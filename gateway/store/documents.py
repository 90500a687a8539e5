"""Storing canonical documents idempotently by business key, with their flattened lines.

A document is unique per partner, type and business key (PO number, shipment id, invoice
number, RMA number). Saving the same document again (a replay) changes nothing but the link
to the message; saving a different version of it (a revised PO, a corrected ASN) replaces the
data and lines and bumps ``revision``: never a second row. Earlier source messages stay linked
with the role ``replaced`` so the console can show every message that touched a document.

:func:`save_documents` saves a batch of one message's documents (the pipeline's store stage):
those not stored yet in three bulk INSERTs (documents, lines, links), any other one through
:func:`save_document`, with the same outcome as saving them one by one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import bindparam, insert
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, delete, select

from gateway.canonical import (
    CanonicalDocument,
    Invoice,
    ItemIds,
    PurchaseOrder,
    Receipt,
    ReturnAuthorization,
    Shipment,
)
from gateway.store.models import Document, DocumentLine, DocumentMessage, utcnow

log = logging.getLogger(__name__)

DOCUMENTS = Document.__table__  # type: ignore[attr-defined]
LINES = DocumentLine.__table__  # type: ignore[attr-defined]
LINKS = DocumentMessage.__table__  # type: ignore[attr-defined]
# statements built once, reused each call: SQLAlchemy's compiled cache hits without building them again
_BY_KEY = select(Document).where(
    Document.partner == bindparam("partner"),
    Document.type == bindparam("type"),
    Document.business_key == bindparam("key"),
)
#: a Core INSERT whose RETURNING rows the ORM loads as documents, as a SELECT loads them (the
#: ORM's own bulk INSERT ... RETURNING of entities costs about 100 us more a call)
_ROWS_OF_INSERT = select(Document).from_statement(insert(DOCUMENTS).returning(*DOCUMENTS.c))
_INSERT_LINES = insert(LINES)
_INSERT_LINKS = insert(LINKS)
_INSERT_RETURNING_IDS = insert(DOCUMENTS).returning(
    DOCUMENTS.c.id, DOCUMENTS.c.type, DOCUMENTS.c.business_key
)

#: The business-key field of each document type.
BUSINESS_KEYS: dict[str, str] = {
    "purchase_order": "po_number",
    "shipment": "shipment_id",
    "invoice": "invoice_number",
    "return_authorization": "rma_number",
    "receipt": "receipt_id",
    "remittance": "trace_number",
    "po_acknowledgement": "ack_number",
    "availability": "feed_id",
}


@dataclass(frozen=True, slots=True)
class SavedDocument:
    """What :func:`save_document` did: the row and its outcome (``created``, ``revised``, ``unchanged``,
    ``older``: the stored version came from a later message and stays)."""

    document: Document
    outcome: str


@dataclass(frozen=True, slots=True)
class Stored:
    """What :func:`save_documents` did to one document: its row's id, type and key, the outcome,
    and the row itself (persistent in the caller's session; hold it, and no ``SELECT`` reads it
    back: the session keeps clean rows only weakly)."""

    id: int
    type: str
    business_key: str
    outcome: str
    row: Document | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, saved: SavedDocument) -> Stored:
        row = saved.document
        return cls(int(row.id or 0), row.type, row.business_key, saved.outcome, row)


def business_key(doc: CanonicalDocument) -> str:
    """The value that identifies ``doc`` among the partner's documents of its type."""
    return str(getattr(doc, BUSINESS_KEYS[doc.type_key]))


def _stored_data(doc: CanonicalDocument) -> dict[str, Any]:
    data = doc.to_json_dict()
    data.pop("source_message_id", None)  # the link table says where it came from
    return data


def save_document(
    session: Session,
    partner: str,
    doc: CanonicalDocument,
    message_id: int | None = None,
    *,
    role: str = "source",
    status: str | None = None,
) -> SavedDocument:
    """Insert or revise ``doc`` for ``partner`` and link it to ``message_id``; the caller commits."""
    kind = doc.type_key
    key = business_key(doc)
    data = _stored_data(doc)
    row = session.scalars(_BY_KEY, {"partner": partner, "type": kind, "key": key}).first()
    if row is None:
        return _create(session, partner, doc, message_id, role, status)
    if row.data == data:
        outcome = "unchanged"
    elif message_id is not None and row.source_message_id is not None and row.source_message_id > message_id:
        # a replay of a message received before the one the stored version came from: the
        # partner's later version stands (message ids grow with receipt)
        log.warning(
            "%s %s/%s: message %s is older than message %s the stored version came from; kept that one",
            kind, partner, key, message_id, row.source_message_id,
        )  # fmt: skip
        _link(session, row, message_id, "replaced", replace_sources=False)
        session.flush()
        return SavedDocument(row, "older")
    else:
        row.data = data
        row.revision += 1
        row.updated_at = utcnow()
        outcome = "revised"
    if status is not None:
        row.status = status
    if outcome != "unchanged":
        _set_columns(row, doc)
        row.source_message_id = message_id if message_id is not None else row.source_message_id
    session.add(row)
    session.flush()
    if outcome != "unchanged":
        session.exec(delete(DocumentLine).where(col(DocumentLine.document_id) == row.id))
        _insert_lines(session, [(int(row.id or 0), doc)])
    if message_id is not None:
        _link(session, row, message_id, role, replace_sources=outcome == "revised")
    session.flush()
    log.debug("%s %s %s/%s (revision %s)", outcome, kind, partner, key, row.revision)
    return SavedDocument(row, outcome)


def _create(
    session: Session,
    partner: str,
    doc: CanonicalDocument,
    message_id: int | None,
    role: str,
    status: str | None,
) -> SavedDocument:
    """:func:`save_document` for a document not stored yet: its row by one ``INSERT ... RETURNING``
    (persistent in ``session``, as a flush leaves it), its lines in one ``INSERT`` and its link in
    another (Core: no lines to delete, no links to look up for a row just made)."""
    values = {**_row_values(partner, doc, message_id, utcnow()), "status": status}
    row = session.scalars(_ROWS_OF_INSERT, [values]).one()
    _insert_lines(session, [(int(row.id or 0), doc)])
    if message_id is not None:
        link = {"document_id": row.id, "message_id": message_id, "role": role, "created_at": utcnow()}
        session.execute(_INSERT_LINKS, [link])
    log.debug("created %s %s/%s (revision %s)", doc.type_key, partner, row.business_key, row.revision)
    return SavedDocument(row, "created")


def _insert_lines(session: Session, docs: Sequence[tuple[int, CanonicalDocument]]) -> None:
    """The item lines of ``docs`` (``(document id, document)``), all in one ``INSERT`` (executemany)."""
    lines = [{**line, "document_id": doc_id} for doc_id, doc in docs for line in _lines(doc)]
    if lines:
        session.execute(_INSERT_LINES, lines)


def save_documents(
    session: Session, partner: str, docs: Sequence[CanonicalDocument], message_id: int, *, rows: bool = False
) -> list[Stored]:
    """Save ``docs`` for ``partner`` from ``message_id``, in order; what :func:`save_document` does
    for each, with bulk INSERTs for the documents not stored yet. With ``rows``, each
    :class:`Stored` holds its row (for a caller that goes on in this session: none is read back);
    else only a document revised has one. The caller commits."""
    fresh: list[int] = []
    later: list[int] = []
    keys: set[tuple[str, str]] = set()
    for index, doc in enumerate(docs):
        key = (doc.type_key, business_key(doc))
        (later if key in keys else fresh).append(index)
        keys.add(key)
    # the first of each key inserted unless stored already (ON CONFLICT DO NOTHING): no lookup of
    # the keys first; a document the INSERT skipped is stored, and goes the way of a revision
    inserted = _insert_new(
        session, partner, [docs[i] for i in fresh], message_id, rows=rows, skip_stored=True
    )
    saved = {i: s for i, s in zip(fresh, inserted, strict=True) if s is not None}
    later = sorted([*later, *(i for i, s in zip(fresh, inserted, strict=True) if s is None)])
    for index in later:  # already stored, or twice in this batch: a revision, in file order
        saved[index] = Stored.of(save_document(session, partner, docs[index], message_id))
    return [saved[i] for i in range(len(docs))]


def insert_new_documents(
    session: Session, partner: str, docs: Sequence[CanonicalDocument], *, status: str | None = None
) -> list[Stored]:
    """Insert ``docs`` of ``partner``, none stored yet (the caller knows), with ``status`` and no
    source message, in bulk: what :func:`save_document` does for a new document without a
    message id (the PO acknowledgements of a batch). The caller commits."""
    return [s for s in _insert_new(session, partner, docs, None, status=status) if s is not None]


def _insert_new(
    session: Session,
    partner: str,
    docs: Sequence[CanonicalDocument],
    message_id: int | None,
    *,
    status: str | None = None,
    rows: bool = False,
    skip_stored: bool = False,
) -> list[Stored | None]:
    """Insert ``docs`` (none twice) in bulk: their rows, lines and links; a :class:`Stored` each.
    With ``skip_stored``, a document whose key is stored already is left as it is, and its
    :class:`Stored` is ``None`` (the ``INSERT ... ON CONFLICT DO NOTHING`` gives back no id for it)."""
    if not docs:
        return []
    now = utcnow()
    values = [{**_row_values(partner, doc, message_id, now), "status": status} for doc in docs]
    keys = [(v["type"], v["business_key"]) for v in values]
    # one INSERT ... RETURNING (batched by insertmanyvalues, matched back by key): the ids without a
    # lookup of the keys just inserted; with ``rows`` the rows too, as persistent objects read as a
    # SELECT reads them (an ORM object and its data decoded a row: only for a caller that uses them)
    held: dict[tuple[str, str], Document] = {}
    if rows:
        statement = _rows_of_skipping(session) if skip_stored else _ROWS_OF_INSERT
        held = {(r.type, r.business_key): r for r in session.scalars(statement, values)}
        got = {key: int(r.id or 0) for key, r in held.items()}
    else:
        statement = _core_insert(session) if skip_stored else _INSERT_RETURNING_IDS
        got = {(k, b): int(i) for i, k, b in session.execute(statement, values)}
    made = [(got[key], doc) for key, doc in zip(keys, docs, strict=True) if key in got]
    _insert_lines(session, made)
    if message_id is not None and made:
        links = [
            {"document_id": i, "message_id": message_id, "role": "source", "created_at": now} for i, _ in made
        ]
        session.execute(_INSERT_LINKS, links)
    return [
        Stored(got[key], doc.type_key, key[1], "created", held.get(key)) if key in got else None
        for key, doc in zip(keys, docs, strict=True)
    ]


def _rows_of_skipping(session: Session) -> Any:
    """The rows :func:`_core_insert` inserts, loaded as persistent documents (as a SELECT loads them)."""
    dialect = session.get_bind().dialect.name
    if dialect not in _ROWS_SKIPPING:
        stmt = _dialect_insert(session)(DOCUMENTS).on_conflict_do_nothing(index_elements=_KEY_COLUMNS)
        _ROWS_SKIPPING[dialect] = select(Document).from_statement(stmt.returning(*DOCUMENTS.c))
    return _ROWS_SKIPPING[dialect]


def _core_insert(session: Session) -> Any:
    """The ``INSERT`` of documents that skips one stored already (its key taken), giving back the
    ids, types and keys of the rows inserted."""
    dialect = session.get_bind().dialect.name
    if dialect not in _SKIPPING:
        t = DOCUMENTS.c
        stmt = _dialect_insert(session)(DOCUMENTS).on_conflict_do_nothing(index_elements=_KEY_COLUMNS)
        _SKIPPING[dialect] = stmt.returning(t.id, t.type, t.business_key)
    return _SKIPPING[dialect]


#: the unique key of a document (``uq_documents_partner_type_key``), and the statements on it by dialect
_KEY_COLUMNS = ("partner", "type", "business_key")
_SKIPPING: dict[str, Any] = {}
_ROWS_SKIPPING: dict[str, Any] = {}


def _dialect_insert(session: Session) -> Any:
    """The dialect's ``insert`` (with ``on_conflict_do_nothing``): SQLite or PostgreSQL."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"documents need SQLite or PostgreSQL, not {dialect}")  # pragma: no cover


def _row_values(partner: str, doc: CanonicalDocument, message_id: int | None, now: Any) -> dict[str, Any]:
    return {
        "partner": partner, "type": doc.type_key, "business_key": business_key(doc), "revision": 1,
        "status": None, "data": _stored_data(doc), "source_message_id": message_id,
        "created_at": now, "updated_at": now,
        **_column_values(doc),
    }  # fmt: skip


def _link(session: Session, row: Document, message_id: int, role: str, replace_sources: bool) -> None:
    links = session.exec(select(DocumentMessage).where(DocumentMessage.document_id == row.id)).all()
    if replace_sources and role == "source":
        for link in links:
            if link.role == "source" and link.message_id != message_id:
                session.delete(link)
                session.flush()
                if not any(o.message_id == link.message_id and o.role == "replaced" for o in links):
                    old = link.message_id
                    replaced = DocumentMessage(document_id=int(row.id or 0), message_id=old, role="replaced")
                    session.add(replaced)
    if not any(link.message_id == message_id and link.role == role for link in links):
        session.add(DocumentMessage(document_id=int(row.id or 0), message_id=message_id, role=role))


def _set_columns(row: Document, doc: CanonicalDocument) -> None:
    for name, value in _column_values(doc).items():
        setattr(row, name, value)


def _column_values(doc: CanonicalDocument) -> dict[str, Any]:
    """The searchable columns of ``doc``'s row."""
    fields = vars(doc)  # the model's field values (a type without the field has no key, and a
    # getattr that misses costs a pydantic AttributeError: thousands a batch)
    po_number = fields.get("po_number")
    if isinstance(doc, Shipment) and len(doc.orders) == 1:
        po_number = doc.orders[0].po_number
    return {
        "po_number": po_number,
        "shipment_id": fields.get("shipment_id"),
        "invoice_number": fields.get("invoice_number"),
        "rma_number": fields.get("rma_number"),
        "currency": fields.get("currency"),
        "document_date": _document_date(doc),
        "delivery_date": _delivery_date(doc),
        "total": doc.total if isinstance(doc, Invoice) else None,
    }


def _document_date(doc: CanonicalDocument) -> date | None:
    if isinstance(doc, PurchaseOrder):
        return doc.order_date
    if isinstance(doc, Shipment):
        return doc.ship_date
    if isinstance(doc, Invoice):
        return doc.invoice_date
    if isinstance(doc, ReturnAuthorization):
        return doc.rma_date
    return None


def _delivery_date(doc: CanonicalDocument) -> date | None:
    if isinstance(doc, PurchaseOrder):
        return doc.deliver_not_after
    if isinstance(doc, Shipment):
        return doc.expected_delivery
    return None


def _line(
    line_no: str | None,
    po_number: str | None,
    item: ItemIds,
    quantity: Decimal,
    uom: str,
    case_size: Decimal | None = None,
    unit_price: Decimal | None = None,
) -> dict[str, Any]:
    return dict(
        line_no=line_no or "", po_number=po_number, asin=item.asin, ean=item.ean, upc=item.upc,
        vendor_sku=item.vendor_sku, buyer_sku=item.buyer_sku, sscc=None, quantity=quantity, uom=uom,
        case_size=case_size, unit_price=unit_price,
    )  # fmt: skip


def _lines(doc: CanonicalDocument) -> list[dict[str, Any]]:
    """The document's item lines' columns, flattened (a shipment's order lines carry their PO number)."""
    if isinstance(doc, PurchaseOrder):
        return [
            _line(x.line_no, doc.po_number, x.item, x.quantity, x.uom, x.case_size, x.unit_price)
            for x in doc.lines
        ]
    if isinstance(doc, Shipment):
        return [
            _line(x.line_no, order.po_number, x.item, x.quantity, x.uom, x.case_size)
            for order in doc.orders
            for x in order.lines
        ]
    if isinstance(doc, Invoice):
        return [
            _line(x.line_no, doc.po_number, x.item, x.quantity, x.uom, x.case_size, x.unit_price)
            for x in doc.lines
        ]
    if isinstance(doc, ReturnAuthorization):
        return [
            _line(x.line_no, doc.po_number, x.item, x.quantity, x.uom, None, x.unit_credit) for x in doc.lines
        ]
    if isinstance(doc, Receipt):  # received units per PO line and carton (issue 18)
        return [_received_line(doc, x) for x in doc.lines]
    return []


def _received_line(doc: Receipt, x: Any) -> dict[str, Any]:
    return {**_line(x.line_no, doc.po_of(x), x.item, x.quantity, x.uom), "sscc": x.sscc}


def load_document(row: Document) -> CanonicalDocument:
    """The canonical document stored in ``row`` (validated once per loaded ``row.data``).

    The hooks after a batch ask for the same rows' documents several times (the scopes, the
    PO bundles of reconciliation and of invoicing, the invoice trigger): the document is kept
    in the row's SQLAlchemy instance state, beside the very ``data`` object it was read from,
    and read again only when that changed (a revision assigns new data; a row expired by a
    commit loads new data). Callers must not change the document they get (none does: the
    canonical documents are read, never edited in place).
    """
    from gateway.canonical import document_from_json

    data = row.data
    info = sa_inspect(row).info
    cached = info.get(_CANONICAL)
    if cached is not None and cached[0] is data:
        return cast(CanonicalDocument, cached[1])
    doc = document_from_json(dict(data))
    info[_CANONICAL] = (data, doc)
    return doc


def remember_document(row: Document, doc: CanonicalDocument) -> None:
    """Let :func:`load_document` give ``doc`` for ``row`` without reading its data again: for the
    document just stored as ``row``. ``doc`` becomes its stored form (``source_message_id`` is
    cleared): the caller hands it over."""
    if doc.source_message_id is not None:  # the caller's own document, no longer used: no copy
        doc.__dict__["source_message_id"] = None  # (set past validation: None is valid)
    sa_inspect(row).info[_CANONICAL] = (row.data, doc)


#: the key of a row's canonical document in its instance state's ``info``
_CANONICAL = "acorn.canonical"
