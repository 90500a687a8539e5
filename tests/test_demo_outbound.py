"""Issue 17, done when: the demo (``make run``) sends an 855, an 856 with carton labels, an invoice and an
846 for the US (X12) and for an EU marketplace (EDIFACT ORDRSP, DESADV, INVOIC, INVRPT), dated today; each
passes our own checks and is re-read by our readers to the same canonical document (the round trip).

The demo runs as a newcomer runs it: ``acorn db upgrade``, ``acorn demo``, ``acorn run --once`` (twice:
the second sends nothing new) on a copy of the shipped config, partners and mappings.
"""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime
from pathlib import Path

import pdfplumber
import pytest
from sqlmodel import Session, col, select

from gateway.canonical import Invoice, PoAcknowledgement
from gateway.canonical.ship_notice import as_sent as notice_as_sent
from gateway.edi import parse
from gateway.inventory.at_send import recheck as recheck_inventory_feed
from gateway.invoicing.at_send import duplicate_reasons
from gateway.invoicing.checks import compliance_reasons
from gateway.orders.acknowledgement import precheck
from gateway.orders.book import load_bundles, safe_load
from gateway.service.runtime import Runtime
from gateway.shipping.at_send import recheck as recheck_ship_notice
from gateway.shipping.send import draft_notice
from gateway.store import session_scope
from gateway.store.models import (
    Document,
    DocumentMessage,
    InventoryFeedRecord,
    Message,
    ShipNoticeRecord,
    utcnow,
)
from tests.test_cli_errors import home, run

#: (partner, file-name kind) of the eight documents the demo must send
EXPECTED = [
    ("amazon-us", "855"),
    ("amazon-us", "856"),
    ("amazon-us", "810"),
    ("amazon-us", "846"),
    ("amazon-eu", "ordrsp"),
    ("amazon-eu", "desadv"),
    ("amazon-eu", "invoic"),
    ("amazon-eu", "invrpt"),
]
STANDARD = {"amazon-us": "x12", "amazon-eu": "edifact"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    config = home(root, demo=True)  # the shipped profiles as they are, demo lines and all
    here = Path.cwd()
    os.chdir(root)  # the shipped profiles' local mailboxes are relative folders
    try:
        for args in (("db", "upgrade"), ("demo",), ("run", "--once"), ("run", "--once")):
            result = run("--config", str(config), *args)
            assert result.exit_code == 0, result.output
    finally:
        os.chdir(here)
    return config


def _sent(session: Session) -> list[Message]:
    query = select(Message).where(Message.direction == "out", Message.state == "sent")
    return list(session.exec(query.order_by(col(Message.id))).all())


def _kind(message: Message) -> str:
    return (message.filename or "").split("_")[1]


def _carried(session: Session, message: Message, doc_type: str) -> list[Document]:
    query = (
        select(Document)
        .join(DocumentMessage, col(DocumentMessage.document_id) == Document.id)
        .where(DocumentMessage.message_id == message.id, DocumentMessage.role == "sent")
        .where(Document.type == doc_type)
    )
    return list(session.exec(query).all())


def _read_back(runtime: Runtime, message: Message):
    data = runtime.archive.read(message.sha256)
    parsed = parse(data)
    assert parsed.ok, (message.filename, parsed.errors)
    (tx,) = parsed.transactions
    return runtime.mappings.translate(tx)


def test_the_demo_sends_each_of_the_eight_documents_dated_today(demo: Path, monkeypatch) -> None:
    monkeypatch.chdir(demo.parent)  # the demo's database is a relative path
    runtime = Runtime.open(demo)
    try:
        with session_scope(runtime.engine) as session:
            sent = _sent(session)
            found = {(m.partner, _kind(m)) for m in sent}
            assert set(EXPECTED) <= found, sorted(found)
            today = utcnow().strftime("%Y%m%d")
            for message in sent:
                if (message.partner, _kind(message)) in EXPECTED:
                    assert message.standard == STANDARD[message.partner or ""]
                    assert today in (message.filename or "")  # built and sent today
            blocked = session.exec(select(Message).where(Message.state == "blocked")).all()
            assert blocked == []
    finally:
        runtime.close()


def test_each_passes_our_checks_and_re_reads_to_the_same_document(demo: Path, monkeypatch) -> None:
    monkeypatch.chdir(demo.parent)
    runtime = Runtime.open(demo)
    now = datetime.now(UTC)
    checked: set[tuple[str | None, str]] = set()
    try:
        with session_scope(runtime.engine) as session:
            for message in _sent(session):
                kind = _kind(message)
                if (message.partner, kind) not in EXPECTED:
                    continue
                back = _read_back(runtime, message)
                if kind in ("855", "ordrsp"):
                    (row,) = _carried(session, message, "po_acknowledgement")
                    ack = PoAcknowledgement.from_json_dict(dict(row.data))
                    po = load_bundles(session, [ack.po_number])[ack.po_number].po
                    assert precheck(ack, po.doc) == []
                    assert back.model_dump(exclude={"partner"}) == ack.model_dump(exclude={"partner"})
                elif kind in ("810", "invoic"):
                    rows = [
                        r for r in _carried(session, message, "invoice") if r.data.get("kind") == "invoice"
                    ]
                    if not rows:
                        continue  # a credit note: not one of the eight
                    (row,) = rows
                    doc = safe_load(row)
                    assert isinstance(doc, Invoice)
                    reasons = compliance_reasons(session, runtime.partners, row, doc, today=now.date())
                    assert reasons + duplicate_reasons(session, row, doc) == []
                    assert back == doc
                elif kind in ("856", "desadv"):
                    record = session.exec(
                        select(ShipNoticeRecord).where(ShipNoticeRecord.message_id == message.id)
                    ).one()
                    held = recheck_ship_notice(
                        session, runtime.partners, runtime.mappings, runtime.archive, message, now
                    )
                    assert held is not None and held.reasons == [] and held.payload is None  # as sent
                    draft, _ = draft_notice(session, runtime.partners, record.source_shipment_id)
                    notice = notice_as_sent(draft)
                    assert back.model_dump(exclude={"partner"}) == notice.model_dump(exclude={"partner"})
                    labels = runtime.archive.read(record.labels_key)
                    with pdfplumber.open(io.BytesIO(labels)) as pdf:
                        assert len(pdf.pages) == len(notice.packages)
                        for page, package in zip(pdf.pages, notice.packages, strict=True):
                            assert f"(00) {package.sscc}" in page.extract_text()
                else:  # 846 / INVRPT
                    record = session.exec(
                        select(InventoryFeedRecord).where(InventoryFeedRecord.message_id == message.id)
                    ).one()
                    held = recheck_inventory_feed(
                        session, runtime.partners, runtime.mappings, runtime.archive, message, now
                    )
                    assert held is not None and held.reasons == []
                    assert back.feed_id.startswith(record.feed_id[:20]) and back.lines
                checked.add((message.partner, kind))
        assert checked == set(EXPECTED)
    finally:
        runtime.close()
