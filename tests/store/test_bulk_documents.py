"""A batch of documents is stored and read back with a fixed number of statements, whatever its size.

Issue 15 (one 20,000-PO interchange at 2,000 POs/s): :func:`save_documents` stores a batch in a
few bulk statements, not one unit of work per document; :func:`load_bundles` takes the rows the
session holds already instead of reading and decoding them again; :func:`load_document`
validates a row's data once and again only when the data changed. On a SQLite file and on
PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from gateway.canonical import PurchaseOrder
from gateway.orders.book import load_bundles
from gateway.store import session_scope
from gateway.store.documents import load_document, remember_document, save_document, save_documents
from gateway.store.models import Document, DocumentLine, DocumentMessage, Message
from tests.money.conftest import po


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements ``engine`` runs inside the block."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _message(session: Session) -> int:
    message = Message(direction="in", state="received", sha256="0" * 64, filename="f.edi", archive_path="x")
    session.add(message)
    session.flush()
    return int(message.id or 0)


def _pos(first: int, count: int) -> list[PurchaseOrder]:
    return [po(f"P{n:07d}") for n in range(first, first + count)]


def _store(engine: Engine, docs: list[PurchaseOrder]) -> list[str]:
    with session_scope(engine) as session:
        message_id = _message(session)
        with statements(engine) as seen:
            saved = save_documents(session, "amazon-us", docs, message_id)
        assert [s.outcome for s in saved] == ["created"] * len(docs)
    return seen


def test_a_batch_takes_the_same_statements_at_any_size(engine: Engine) -> None:
    small = _store(engine, _pos(1, 10))
    large = _store(engine, _pos(100, 400))
    assert len(large) == len(small) <= 5  # lookup, insert returning the ids, lines, links (+ a flush)
    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(Document)).one() == 410
        assert session.exec(select(func.count()).select_from(DocumentLine)).one() == 410 * 3
        assert session.exec(select(func.count()).select_from(DocumentMessage)).one() == 410


def test_stored_again_a_batch_changes_nothing(engine: Engine) -> None:
    docs = _pos(1, 30)
    _store(engine, docs)
    with session_scope(engine) as session:
        message_id = _message(session)
        saved = save_documents(session, "amazon-us", [*docs[:10], po("P0000005", currency="EUR")], message_id)
        assert [s.outcome for s in saved] == ["unchanged"] * 10 + ["revised"]
    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(Document)).one() == 30
        row = session.exec(select(Document).where(Document.business_key == "P0000005")).one()
        assert (row.revision, row.currency, row.source_message_id) == (2, "EUR", message_id)


def test_bundles_take_the_rows_the_session_holds(engine: Engine) -> None:
    _store(engine, _pos(1, 50))
    numbers = [f"P{n:07d}" for n in range(1, 51)]
    with session_scope(engine) as session:
        rows = session.exec(select(Document).where(col(Document.business_key).in_(numbers))).all()
        with statements(engine) as seen:
            bundles = load_bundles(session, numbers)
        assert all(bundles[n].po is not None for n in numbers)
        assert {id(bundles[n].pos[0].row) for n in numbers} == {id(r) for r in rows}
        assert not any("documents.data" in s for s in seen)  # ids only: nothing read twice
    with session_scope(engine) as session, statements(engine) as seen:
        bundles = load_bundles(session, numbers)  # a fresh session reads the rows
        assert sum("documents.data" in s for s in seen) == 1
        assert bundles["P0000007"].po is not None and bundles["P0000007"].po.doc.po_number == "P0000007"


def test_bundles_loaded_once_are_not_read_again_in_the_same_transaction(engine: Engine) -> None:
    """The hooks each load the bundles they need, nothing holding the previous hook's: the rows stay
    held for the transaction (the identity map alone holds them weakly), so the second load reads
    ids only; the next transaction reads them again."""
    import gc

    _store(engine, _pos(1, 20))
    numbers = [f"P{n:07d}" for n in range(1, 21)]
    with session_scope(engine) as session:
        with statements(engine) as seen:
            load_bundles(session, numbers)  # its result dropped at once
        assert sum("documents.data" in s for s in seen) == 1
        gc.collect()
        with statements(engine) as seen:
            bundles = load_bundles(session, numbers)
        assert not any("documents.data" in s for s in seen)
        assert bundles["P0000003"].po is not None
        session.commit()
        del bundles
        gc.collect()
        with statements(engine) as seen:
            load_bundles(session, numbers)  # a new transaction: what another worker wrote is seen
        assert sum("documents.data" in s for s in seen) == 1


def test_a_document_is_read_again_when_its_data_changes(engine: Engine) -> None:
    _store(engine, [po("P1")])
    with session_scope(engine) as session:
        row = session.exec(select(Document)).one()
        first = load_document(row)
        assert load_document(row) is first  # validated once
        save_document(session, "amazon-us", po("P1", currency="EUR"), None)
        assert row.revision == 2
        again = load_document(row)
        assert isinstance(again, PurchaseOrder) and again.currency == "EUR"
        assert load_document(row) is again


def test_a_remembered_document_is_the_stored_form(engine: Engine) -> None:
    doc = po("P2", source_message_id=None)
    _store(engine, [doc])
    with session_scope(engine) as session:
        row = session.exec(select(Document)).one()
        fresh = load_document(row)
    with session_scope(engine) as session:
        row = session.exec(select(Document)).one()
        given = po("P2").model_copy(update={"source_message_id": 7})
        remember_document(row, given)
        remembered = load_document(row)
        assert remembered is given and remembered.source_message_id is None
        assert remembered == fresh  # what reading the row's data gives


class _Undo(Exception):
    """Rolls a savepoint back."""


def test_a_pos_ids_are_asked_once_until_a_write_could_change_them(engine: Engine) -> None:
    """The hooks of one message each ask the order book for the same POs: the ids are asked once a
    transaction; a document stored for the PO since, or a savepoint rolled back, makes the next
    load ask again (and see it, or no longer see it); a status changed does not."""
    _store(engine, _pos(1, 3))
    number = "P0000001"

    def load(session: Session) -> tuple[int, list[str]]:
        with statements(engine) as seen:
            bundle = load_bundles(session, [number])[number]
        return len(bundle.pos), [s for s in seen if s.lstrip().upper().startswith("SELECT")]

    with session_scope(engine) as session:
        assert load(session)[0] == 1
        assert load(session) == (1, [])  # asked nothing
        row = session.exec(select(Document).where(Document.business_key == number)).one()
        row.status = "checked"
        session.flush()
        assert load(session) == (1, [])  # a status changes no PO's documents
        save_documents(session, "erp", [po(number)], _message(session))  # the same PO, another partner
        count, asked = load(session)
        assert count == 2 and asked  # asked again, and found
        try:
            with session.begin_nested():
                save_documents(session, "warehouse", [po(number)], _message(session))
                assert load(session)[0] == 3
                raise _Undo
        except _Undo:
            pass
        assert load(session)[0] == 2  # the savepoint's document went with it
