"""A large file is read in small chunks and stored in batches bounded by the segments they hold (issue 15).

The store stage takes at most :data:`~gateway.service.pipeline.store.BATCH` transactions a call,
and fewer when they reach :data:`~gateway.service.pipeline.translate.SEGMENTS` segments: what a
batch holds in memory follows the size of its documents. Here the budget is 40 segments and each
PO has 16: a batch ends at the third PO, which brings it to 48.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import col, func, select

from gateway.service import pipeline
from gateway.service.pipeline import parse, store, translate
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import Document, DocumentLine, MessageEvent
from tests.pipeline.conftest import make_home
from tests.pipeline.test_large_file import interchange

POS = 8


def _notes(runtime: Runtime, message_id: int) -> list[str]:
    with session_scope(runtime.engine) as session:
        return list(
            session.exec(
                select(MessageEvent.note)
                .where(MessageEvent.message_id == message_id, col(MessageEvent.note).contains("stored"))
                .order_by(col(MessageEvent.id))
            ).all()
        )


def test_a_batch_ends_at_its_segment_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "BATCH", 200)
    monkeypatch.setattr(store, "NOTE_EACH", 1)
    monkeypatch.setattr(translate, "SEGMENTS", 40)
    runtime = Runtime.open(make_home(tmp_path / "gw"))
    try:
        receipt = pipeline.ingest(runtime, interchange(POS), "big.edi")
        assert receipt.state == "done"
        notes = [n for n in _notes(runtime, receipt.message_id) if "purchase_order stored" in n]
        assert notes == [
            "3 purchase_order stored (P0000001 ... P0000003): 3 created",
            "3 purchase_order stored (P0000004 ... P0000006): 3 created",
            "2 purchase_order stored (P0000007 ... P0000008): 2 created",
        ]
        with session_scope(runtime.engine) as session:
            keys = sorted(session.exec(select(Document.business_key)).all())
        assert keys == [f"P{n:07d}" for n in range(1, POS + 1)]
    finally:
        runtime.close()


def test_the_count_still_bounds_a_batch_of_small_transactions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "BATCH", 5)
    monkeypatch.setattr(store, "NOTE_EACH", 1)
    monkeypatch.setattr(translate, "SEGMENTS", 10_000)
    runtime = Runtime.open(make_home(tmp_path / "gw"))
    try:
        receipt = pipeline.ingest(runtime, interchange(POS), "big.edi")
        notes = [n for n in _notes(runtime, receipt.message_id) if "purchase_order stored" in n]
        assert notes == [
            "5 purchase_order stored (P0000001 ... P0000005): 5 created",
            "3 purchase_order stored (P0000006 ... P0000008): 3 created",
        ]
    finally:
        runtime.close()


def test_a_file_read_in_chunks_that_cut_its_segments_is_stored_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parse and translate stages read the file :data:`~gateway.service.pipeline.parse.CHUNK`
    characters at a time: a chunk that ends inside a segment (or an ISA) changes nothing."""
    monkeypatch.setattr(parse, "CHUNK", 7)
    runtime = Runtime.open(make_home(tmp_path / "gw"))
    try:
        receipt = pipeline.ingest(runtime, interchange(POS), "big.edi")
        assert receipt.state == "done"
        with session_scope(runtime.engine) as session:
            keys = sorted(session.exec(select(Document.business_key)).all())
            lines = session.exec(select(func.count()).select_from(DocumentLine)).one()
        assert keys == [f"P{n:07d}" for n in range(1, POS + 1)] and lines == 3 * POS
    finally:
        runtime.close()
