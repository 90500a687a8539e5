"""Automatic ship notices (issue 17): the warehouse's ASN, stored, goes on to Amazon as our 856 once.

The pipeline's ``ship notice`` hook (gateway.service.hooks) over stored documents: on for a partner
whose profile says ``rules.ship_notice.automatic``, off by default; never for the partner's own
ASN; idempotent (run twice, one notice, one outbound message); a notice that breaks a rule is
recorded ``blocked`` with its reasons and nothing is queued.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import col, select

from gateway.service.hooks import STORED_HOOKS, Hook
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import Direction, Message, ShipNoticeRecord
from tests.money.conftest import ROOT, asn, migrated_sqlite, po, store, write_partners
from tests.money.test_ship_notice_send import US, WH, warehouse_asn

HOOK: Hook = next(h for h in STORED_HOOKS if h.name == "ship notice")


def _runtime(tmp_path: Path, automatic: bool) -> Runtime:
    from gateway.config.settings import Settings

    folder = write_partners(tmp_path / "partners")
    if automatic:
        profile = folder / f"{US}.yaml"
        text = profile.read_text(encoding="utf-8").replace(
            "rules:\n", "rules:\n  ship_notice: {automatic: true}\n", 1
        )
        profile.write_text(text, encoding="utf-8")
    settings = Settings(
        database_url=migrated_sqlite(tmp_path / "acorn.sqlite3"),
        archive_dir=tmp_path / "archive",
        partners_dir=folder,
        mappings_dir=ROOT / "mappings",
    )
    return Runtime.open(settings=settings)


@pytest.fixture
def automatic(tmp_path: Path) -> Iterator[Runtime]:
    rt = _runtime(tmp_path, automatic=True)
    yield rt
    rt.close()


def _outbound(runtime: Runtime) -> list[Message]:
    with session_scope(runtime.engine) as session:
        return list(session.exec(select(Message).where(col(Message.direction) == Direction.OUT.value)).all())


def _run_hook(runtime: Runtime, partner: str, shipment) -> list[str]:
    with session_scope(runtime.engine) as session:
        row = store(session, partner, shipment)
        return HOOK.run(session, runtime, [row])


def test_the_warehouse_asn_goes_on_to_amazon_once(automatic: Runtime) -> None:
    with session_scope(automatic.engine) as session:
        store(session, US, po())
    notes = _run_hook(automatic, WH, warehouse_asn())
    assert len(notes) == 1 and notes[0].startswith("ship notice ASN-1 to amazon-us queued"), notes
    (message,) = _outbound(automatic)
    assert message.partner == US and message.filename.startswith("amazon-us_856_")
    with session_scope(automatic.engine) as session:
        record = session.exec(select(ShipNoticeRecord)).one()
        assert (record.status, record.message_id, record.source_shipment_id) == (
            "queued",
            message.id,
            "ASN-1",
        )
        assert record.labels_key and automatic.archive.read(record.labels_key).startswith(b"%PDF")
    _run_hook(automatic, WH, warehouse_asn())  # a replay of the same ASN
    assert [m.id for m in _outbound(automatic)] == [message.id]


def test_a_notice_that_breaks_a_rule_is_blocked_not_sent(automatic: Runtime) -> None:
    with session_scope(automatic.engine) as session:
        store(session, US, po())
    notes = _run_hook(automatic, WH, warehouse_asn(carrier_scac=None))
    assert "blocked" in notes[0] and "SCAC" in notes[0].upper(), notes
    assert _outbound(automatic) == []
    with session_scope(automatic.engine) as session:
        record = session.exec(select(ShipNoticeRecord)).one()
        assert record.status == "blocked" and record.reasons


def test_the_partners_own_asn_and_an_asn_without_its_po_are_not_passed_on(automatic: Runtime) -> None:
    assert _run_hook(automatic, WH, warehouse_asn()) == []  # the PO is not stored yet
    with session_scope(automatic.engine) as session:
        store(session, US, po())
    assert _run_hook(automatic, US, asn("ASN-US", {"1": 12})) == []
    assert _outbound(automatic) == []


def test_off_by_default(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path, automatic=False)
    try:
        with session_scope(runtime.engine) as session:
            store(session, US, po())
        assert _run_hook(runtime, WH, warehouse_asn()) == []
        assert _outbound(runtime) == []
    finally:
        runtime.close()
