"""``message_types``: the database keeps it in step with ``messages.document_types``, on both backends.

The triggers of migration 0005 must index every way a message row is written (ORM insert,
bulk insert, update of its types, delete), and the migration must index the messages that
existed before it.
"""

from __future__ import annotations

from alembic import command
from sqlalchemy import delete, insert, text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from gateway.store import make_engine
from gateway.store.migrate import alembic_config
from gateway.store.models import Message, MessageType


def _row(ident: int, types: list[str]) -> dict:
    return {
        "id": ident, "direction": "in", "filename": f"f{ident}.edi", "size": 1, "sha256": f"{ident:064x}",
        "archive_path": "x", "state": "done", "document_types": types, "group_controls": [],
        "transaction_controls": [], "attempts": 0, "legal_hold": False,
    }  # fmt: skip


def _index(engine: Engine) -> set[tuple[str, int]]:
    with Session(engine) as session:
        return {(t.document_type, t.message_id) for t in session.exec(select(MessageType))}


def test_insert_update_and_delete_keep_the_index(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(Message(**_row(1, ["850"])))  # ORM
        session.execute(insert(Message), [_row(2, ["810", "856", "810"]), _row(3, [])])  # bulk, a repeat
        session.commit()
    assert _index(engine) == {("850", 1), ("810", 2), ("856", 2)}

    with Session(engine) as session:
        session.execute(update(Message).where(Message.id == 2).values(document_types=["INVOIC"]))
        session.execute(update(Message).where(Message.id == 1).values(state="failed"))  # types untouched
        session.commit()
    assert _index(engine) == {("850", 1), ("INVOIC", 2)}

    with Session(engine) as session:
        session.execute(delete(Message).where(Message.id == 1))
        session.commit()
    assert _index(engine) == {("INVOIC", 2)}


def test_odd_values_are_left_out_not_refused(engine: Engine) -> None:
    with Session(engine) as session:
        session.execute(
            insert(Message), [_row(1, ["", "x" * 36, "997"]), {**_row(2, []), "document_types": None}]
        )
        session.commit()
    assert _index(engine) == {("997", 1)}


def test_the_migration_indexes_the_messages_already_there(db_url: str) -> None:
    engine = make_engine(db_url)
    config = alembic_config(db_url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
    with Session(engine) as session:
        session.execute(insert(Message), [_row(1, ["850"]), _row(2, ["856", "997"])])
        session.commit()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    assert _index(engine) == {("850", 1), ("856", 2), ("997", 2)}

    with engine.begin() as connection:  # and back down: the table and its triggers go
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")
    with Session(engine) as session:
        session.execute(insert(Message), [_row(3, ["810"])])
        session.commit()
        assert session.execute(text("SELECT count(*) FROM messages")).scalar_one() == 3
    engine.dispose()
