"""Two hosts, one PostgreSQL and no shared disk: with ``archive_backend: database`` a file received
on one host is processed, replayed and answered (its 997 sent) from the other.

Each "host" is a gateway home of its own (config, partners, mappings, archive cache, mailbox
folders) in its own temporary folder; only the database is shared.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from gateway.service import pipeline
from gateway.service.mailboxes import send_due
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.archive_db import DatabaseArchive
from gateway.store.models import Document, Message
from tests.conftest import NEEDS_PG, pg_schema
from tests.pipeline.conftest import make_home, numbered_po


def database_archive_home(root: Path, url: str) -> Path:
    config = make_home(root, url)
    config.write_text(config.read_text(encoding="utf-8") + "archive_backend: database\n", encoding="utf-8")
    return config


@pytest.fixture
def hosts(tmp_path: Path) -> Iterator[tuple[Runtime, Runtime]]:
    with pg_schema("h") as url:
        a = Runtime.open(database_archive_home(tmp_path / "host-a", url))
        b = Runtime.open(database_archive_home(tmp_path / "host-b", url))
        try:
            yield a, b
        finally:
            a.close()
            b.close()


@NEEDS_PG
def test_received_on_one_host_processed_replayed_and_sent_from_the_other(
    hosts: tuple[Runtime, Runtime], tmp_path: Path
) -> None:
    a, b = hosts
    assert isinstance(a.archive, DatabaseArchive) and a.archive.root != b.archive.root
    receipt = pipeline.receive(a, numbered_po(4321), filename="po.edi", partner="amazon-us", mailbox="local")
    with session_scope(b.engine) as session:
        sha256 = session.get(Message, receipt.message_id).sha256  # type: ignore[union-attr]
    assert not b.archive.root.joinpath(b.archive.key_for(sha256)).exists()  # B has never seen it

    assert pipeline.process(b, receipt.message_id).state == "done"
    assert b.archive.root.joinpath(b.archive.key_for(sha256)).is_file()  # fetched into B's cache
    (outcome,) = pipeline.replay(b, [receipt.message_id], actor="ops", reason="two hosts")
    assert outcome.state == "done"
    with session_scope(b.engine) as session:
        (doc,) = session.exec(select(Document)).all()
        assert (doc.po_number, doc.revision) == ("P0004321", 1)  # the replay replaced, nothing doubled
        ack = session.exec(select(Message).where(Message.direction == "out")).one()
    assert ack.state == "queued"

    sent = send_due(a)  # host A sends the 997 host B built: its bytes come from the database
    assert sent.sent == 1
    outbox = Path("run", "mailboxes", "amazon-us", "outbox")
    (delivered,) = (tmp_path / "host-a" / outbox).iterdir()
    assert delivered.read_bytes().startswith(b"ISA") and b"ST*997*" in delivered.read_bytes()
    assert not (tmp_path / "host-b" / outbox).exists()
