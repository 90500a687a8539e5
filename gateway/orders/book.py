"""What reconciliation reads: every document of a PO, loaded in bulk, and the arithmetic on PO lines.

**How documents relate (the matching rule).** A purchase order is identified by its PO
number alone, across partners: Amazon's PO (partner ``amazon-us``) is shipped by our
warehouse's ASN (partner ``warehouse``), may be invoiced by our ERP (partner ``erp``) or by
us, and returned by Amazon. A document belongs to PO ``N`` when it names ``N``: a shipment
through any of its orders (``document_lines.po_number``), an invoice or a return through its
``po_number``. When two partners each sent a purchase order with the same number, the one
revised last is the PO (a rare clash, logged).

**Lines.** A document line belongs to the PO line that shares an item id with it (ASIN,
GTIN — EAN and UPC compared as GTIN-14 —, vendor SKU, buyer SKU), preferring the PO line
with the same line number when several do. Quantities are compared in eaches, by
:mod:`gateway.orders.quantities` (the one place that turns cases into eaches).

**Live invoices.** An invoice counts towards what was invoiced unless it is one of ours
that has not left or was refused: status ``draft``, ``blocked``, ``rejected`` or
``cancelled``. The invoice pre-check asks "what would this draft change once live?" with
:meth:`PoBundle.counting` (the draft counted as live) and :meth:`PoBundle.without`.
"""

from __future__ import annotations

import logging
import re
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import event, or_
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, col, select

from gateway.canonical import (
    CanonicalDocument,
    Invoice,
    ItemIds,
    PoAcknowledgement,
    PurchaseOrder,
    Receipt,
    ReturnAuthorization,
    Shipment,
)
from gateway.store.documents import load_document
from gateway.store.models import Document, DocumentLine

log = logging.getLogger(__name__)

#: statuses of a PO acknowledgement of ours that told (or is telling) Amazon what we confirm
ACK_SENT = frozenset({"queued", "sent"})

#: Invoice statuses that do not count as invoiced (ours, not sent or refused).
NOT_LIVE = frozenset({"draft", "blocked", "rejected", "cancelled"})
#: How many values go in one ``IN (...)`` list.
CHUNK = 500

D = TypeVar("D", bound=CanonicalDocument)


def is_live(row: Document) -> bool:
    """Whether an invoice document counts as invoiced (see the module docstring)."""
    return row.status not in NOT_LIVE


#: how many loaded document rows a transaction keeps from collection (:func:`_keep`), at most
KEPT_ROWS = 2000
_KEPT = "gateway.orders.book.kept_rows"


def chunks(values: Iterable[str], size: int = CHUNK) -> Iterator[list[str]]:
    batch: list[str] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass(slots=True)
class Loaded(Generic[D]):
    """A stored document and its canonical form."""

    row: Document
    doc: D


@dataclass
class PoBundle:
    """Everything stored about one PO number."""

    po_number: str
    pos: list[Loaded[PurchaseOrder]] = field(default_factory=list)
    shipments: list[Loaded[Shipment]] = field(default_factory=list)
    invoices: list[Loaded[Invoice]] = field(default_factory=list)
    returns: list[Loaded[ReturnAuthorization]] = field(default_factory=list)
    receipts: list[Loaded[Receipt]] = field(default_factory=list)
    acknowledgements: list[Loaded[PoAcknowledgement]] = field(default_factory=list)

    @property
    def sent_acknowledgement(self) -> Loaded[PoAcknowledgement] | None:
        """Our acknowledgement of the PO as queued or sent to Amazon (its confirmed quantities count)."""
        sent = [a for a in self.acknowledgements if a.row.status in ACK_SENT]
        return max(sent, key=lambda x: (x.row.updated_at, x.row.id or 0)) if sent else None

    @property
    def po(self) -> Loaded[PurchaseOrder] | None:
        """The purchase order (the one revised last when partners clash), or ``None``."""
        if not self.pos:
            return None
        return max(self.pos, key=lambda x: (x.row.updated_at, x.row.id or 0))

    def shipment(self, shipment_id: str | None) -> Loaded[Shipment] | None:
        return next((s for s in self.shipments if s.doc.shipment_id == shipment_id), None)

    #: ids of documents counted as live whatever their status (a draft being checked)
    counted: frozenset[int] = frozenset()

    def live_invoices(self, kind: str = "invoice") -> list[Loaded[Invoice]]:
        return [
            x for x in self.invoices if x.doc.kind == kind and (is_live(x.row) or x.row.id in self.counted)
        ]

    def without(self, row: Document) -> PoBundle:
        """This bundle without invoice document ``row``."""
        others = [x for x in self.invoices if x.row.id != row.id]
        return replace(self, invoices=others, counted=self.counted - {row.id or 0})

    def counting(self, row: Document, invoice: Invoice) -> PoBundle:
        """This bundle with ``invoice`` (stored as ``row``) counted as live, as once it is sent."""
        bundle = self.without(row)
        bundle.invoices = [*bundle.invoices, Loaded(row, invoice)]
        bundle.counted = bundle.counted | {row.id or 0}
        return bundle


def _add(bundle: PoBundle, row: Document, doc: CanonicalDocument) -> None:
    if isinstance(doc, PurchaseOrder):
        bundle.pos.append(Loaded(row, doc))
    elif isinstance(doc, Shipment):
        bundle.shipments.append(Loaded(row, doc))
    elif isinstance(doc, Invoice):
        bundle.invoices.append(Loaded(row, doc))
    elif isinstance(doc, ReturnAuthorization):
        bundle.returns.append(Loaded(row, doc))
    elif isinstance(doc, Receipt):
        bundle.receipts.append(Loaded(row, doc))
    elif isinstance(doc, PoAcknowledgement):
        bundle.acknowledgements.append(Loaded(row, doc))


def safe_load(row: Document) -> CanonicalDocument | None:
    """The canonical document of ``row``, or ``None`` (logged) when it no longer validates."""
    try:
        return load_document(row)
    except ValueError as exc:
        log.warning("document %s (%s %s) does not load: %s", row.id, row.type, row.business_key, exc)
        return None


def load_bundles(session: Session, po_numbers: Collection[str]) -> dict[str, PoBundle]:
    """Every document of each PO number, with a few queries per chunk of numbers.

    The ids come first; rows the session holds already (the batch the pipeline just stored,
    the bundles another hook loaded) are taken from its identity map, not read and decoded
    again (a select would return those very objects anyway, without refreshing them). The ids
    of a PO number found in this transaction are kept until a write could change them
    (:func:`_forget_on_write`): the next hook asking for the same POs reads none.
    """
    bundles = {n: PoBundle(n) for n in po_numbers}
    known = _known_ids(session)
    for number in bundles.keys() & known.keys():
        for row in _rows(session, known[number]):
            doc = safe_load(row)
            if doc is not None:
                _add(bundles[number], row, doc)
    found: dict[str, list[int]] = {}
    for batch in chunks(sorted(bundles.keys() - known.keys())):
        via_lines = select(DocumentLine.document_id).where(DocumentLine.po_number.in_(batch))  # type: ignore[union-attr]
        ids = session.exec(
            select(Document.id).where(
                or_(Document.po_number.in_(batch), Document.id.in_(via_lines))  # type: ignore[union-attr]
            )
        ).all()
        found.update((n, []) for n in batch)
        for row in _rows(session, [int(i or 0) for i in ids]):
            doc = safe_load(row)
            if doc is None:
                continue
            for number in doc_po_numbers(doc):
                if number in found:
                    _add(bundles[number], row, doc)
                    found[number].append(int(row.id or 0))
    known.update(found)
    return bundles


#: ``Connection.info`` key: PO number -> ids of its documents, read in the connection's open transaction
_IDS = "gateway.orders.book.ids"
#: a statement that may change which documents a PO number has (a new or deleted document or line,
#: a document's ``po_number`` changed; the tables' names as the ORM and Core write them)
_WRITES = re.compile(r"^\s*(?:INSERT\s+INTO|DELETE\s+FROM|UPDATE)\s+\"?(documents|document_lines)\b", re.I)


def _known_ids(session: Session) -> dict[str, list[int]]:
    """The ids by PO number this transaction read and nothing has changed since (see :data:`_IDS`)."""
    info = session.connection().info
    known = info.get(_IDS)
    if known is None:
        known = info[_IDS] = {}
    return cast(dict[str, list[int]], known)


@event.listens_for(Engine, "before_cursor_execute")
def _forget_on_write(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
    """A write to documents or their lines, or a lock taken (another worker's commit may be seen
    after it, on PostgreSQL): the ids kept are forgotten. An ``UPDATE documents`` that leaves
    ``po_number`` alone (a status) changes no PO's documents and keeps them."""
    if not conn.info.get(_IDS) and _BLOCK not in conn.info:
        return
    match = _WRITES.match(statement)
    if match is not None:
        status_only = match.group(1).lower() == "documents" and statement.lstrip()[:6].upper() == "UPDATE"
        if status_only and "po_number" not in statement.split(" WHERE ", 1)[0]:
            return
        conn.info.pop(_IDS, None)
    elif "pg_advisory" in statement or "FOR UPDATE" in statement:
        conn.info.pop(_IDS, None)
        _spoil(conn)


#: ``Connection.info`` key: a :func:`writing_invoices` block is open (``True``) and nothing but its
#: own writes happened in it (``False`` once a lock was taken or the transaction moved)
_BLOCK = "gateway.orders.book.block"


def _spoil(conn: Connection) -> None:
    """What was kept before an open :func:`writing_invoices` block may no longer hold."""
    if _BLOCK in conn.info:
        conn.info[_BLOCK] = False


@contextmanager
def writing_invoices(session: Session) -> Iterator[Callable[[Document, Invoice], None]]:
    """A block whose only writes to documents and their lines are of the invoices (or credit
    notes) it names, each with the callable it yields (``named(row, invoice)``, after the row is
    written): the ids :func:`load_bundles` keeps by PO number outlive the block, each invoice
    among the ids of its PO (an invoice's row and lines name its one PO number, which is how the
    query finds it), so the next order book of that PO in the transaction reads nothing again.

    What is pending in the session is flushed first (it may write other documents, which then
    forget the ids as ever); the block's writes forget them too, and on leaving, what was kept
    before is kept again, with the named invoices. A savepoint rolled back, a commit or a lock,
    in the block or after, still forgets everything (:func:`_forget`), and nothing is kept again
    after a block that raised."""
    session.flush()
    conn = session.connection()
    kept = cast(dict[str, list[int]], conn.info.get(_IDS, {}))
    before = {number: list(ids) for number, ids in kept.items()}
    named: list[tuple[Document, Invoice]] = []
    outer = conn.info.get(_BLOCK)
    conn.info[_BLOCK] = True
    try:
        yield lambda row, invoice: named.append((row, invoice))
        session.flush()
        clean = conn.info.get(_BLOCK) is True and session.connection() is conn
    finally:
        if outer is None:
            conn.info.pop(_BLOCK, None)
        else:
            conn.info[_BLOCK] = outer and conn.info.get(_BLOCK) is True
    if not before or not clean:
        return
    for row, invoice in named:
        ident = int(row.id or 0)
        for number, ids in before.items():
            if number == invoice.po_number and ident not in ids:
                ids.append(ident)
            elif number != invoice.po_number and ident in ids:  # a revision that left this PO
                ids.remove(ident)
    before.update(cast(dict[str, list[int]], conn.info.get(_IDS, {})))  # read since: as read
    conn.info[_IDS] = before


def _forget(conn: Connection, *_args: Any) -> None:
    """The transaction began, ended, or a savepoint of it was rolled back: nothing kept holds."""
    conn.info.pop(_IDS, None)
    _spoil(conn)


for _name in ("begin", "commit", "rollback", "rollback_savepoint"):
    event.listen(Engine, _name, _forget)


def _rows(session: Session, ids: list[int]) -> list[Document]:
    """The rows of ``ids`` (in id order): those the session holds, the others in one query a chunk."""
    kept = _kept(session)  # first: what an earlier transaction kept is let go before looking
    held: dict[int, Document] = {}
    for i in ids:
        row = session.identity_map.get(identity_key(Document, i))
        if isinstance(row, Document):
            held[i] = row
    missing = [i for i in ids if i not in held]
    for start in range(0, len(missing), CHUNK):
        query = select(Document).where(col(Document.id).in_(missing[start : start + CHUNK]))
        held.update((int(r.id or 0), r) for r in session.exec(query))
    rows = [held[i] for i in sorted(held)]
    kept.extend(rows)
    return rows


def _kept(session: Session) -> deque[Document]:
    """The last :data:`KEPT_ROWS` rows loaded in this transaction, held: the session's identity
    map holds clean rows only weakly, so without it the next hook's :func:`load_bundles` would
    find them collected and read them again (about 3 ``SELECT documents`` a message). A new
    transaction starts an empty one (what another worker committed since is read)."""
    root = session.get_transaction()
    kept = session.info.get(_KEPT)
    if kept is None or kept[0] is not root:
        session.info.pop(_KEPT, None)
        kept = (root, deque[Document](maxlen=KEPT_ROWS))
        session.info[_KEPT] = kept
    return kept[1]


def doc_po_numbers(doc: CanonicalDocument) -> list[str]:
    """The PO numbers a document names."""
    if isinstance(doc, Shipment):
        return list(dict.fromkeys(order.po_number for order in doc.orders))
    if isinstance(doc, Receipt):
        return list(dict.fromkeys(doc.po_of(line) for line in doc.lines))
    number = getattr(doc, "po_number", None)
    return [number] if number else []


# -- item ids and units -------------------------------------------------------------------------


def item_keys(item: ItemIds) -> dict[str, set[str]]:
    """The comparable ids of an item, by kind (EAN and UPC both as GTIN-14)."""
    keys: dict[str, set[str]] = {}
    if item.asin:
        keys.setdefault("asin", set()).add(item.asin.upper())
    for gtin in (item.ean, item.upc):
        if gtin and gtin.isdigit():
            keys.setdefault("gtin", set()).add(gtin.zfill(14))
        elif gtin:
            keys.setdefault("gtin", set()).add(gtin)
    if item.vendor_sku:
        keys.setdefault("vendor_sku", set()).add(item.vendor_sku.upper())
    if item.buyer_sku:
        keys.setdefault("buyer_sku", set()).add(item.buyer_sku.upper())
    return keys


def shares_id(a: dict[str, set[str]], b: dict[str, set[str]]) -> bool:
    return any(a[k] & b[k] for k in a.keys() & b.keys())


def id_problems(po_item: ItemIds, other: ItemIds, mode: str) -> list[str]:
    """How ``other``'s ids differ from the PO line's: conflicting kinds, and (mode ``all``) missing ones."""
    want, have = item_keys(po_item), item_keys(other)
    problems = [f"{k} differs" for k in sorted(want.keys() & have.keys()) if not want[k] & have[k]]
    if mode == "all":
        problems += [f"{k} missing" for k in sorted(want.keys() - have.keys())]
    return problems


def item_label(item: ItemIds) -> str:
    """A short readable id of an item (ASIN first)."""
    return item.asin or item.ean or item.upc or item.vendor_sku or item.buyer_sku or "?"


def money(value: Decimal | None) -> Decimal | None:
    """``value`` rounded to cents (``None`` stays ``None``)."""
    return None if value is None else value.quantize(Decimal("0.01"))


def qty_text(value: Decimal) -> str:
    """A quantity without trailing zeros: ``Decimal('24.0000')`` -> ``'24'``."""
    text = format(value.normalize(), "f")
    return text
