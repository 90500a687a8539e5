"""Retention keeps what legal holds, open discrepancies and unfinished messages need."""

from __future__ import annotations

import os
import time

from gateway.service import pipeline
from gateway.service.retention import prune_archive
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import Discrepancy, Message
from tests.pipeline.conftest import numbered_po


def _age(runtime: Runtime, sha256: str, days: int = 400) -> None:
    old = time.time() - days * 86400
    os.utime(runtime.archive.path_for(sha256), (old, old))


def test_prune_removes_only_old_payloads_nobody_needs(runtime: Runtime) -> None:
    ids = [
        pipeline.ingest(runtime, numbered_po(n), f"po{n}.edi").message_id for n in (6001, 6002, 6003, 6004)
    ]
    failed = pipeline.ingest(runtime, b"ISA*garbage", "bad.edi").message_id
    with session_scope(runtime.engine) as session:
        rows = {i: session.get(Message, i) for i in [*ids, failed]}
        rows[ids[0]].legal_hold = True
        session.add(rows[ids[0]])
        session.add(Discrepancy(key="k1", partner="amazon-us", kind="shortage", po_number="P0006002"))
        shas = {i: r.sha256 for i, r in rows.items()}
    for message_id in [*ids[:3], failed]:
        _age(runtime, shas[message_id])
    report = prune_archive(runtime, days=365)
    assert report is not None and report.removed == 1  # po 6003: old, done, no hold, no discrepancy
    present = {i: runtime.archive.exists(s) for i, s in shas.items()}
    assert present == {ids[0]: True, ids[1]: True, ids[2]: False, ids[3]: True, failed: True}
    assert prune_archive(runtime, days=None) is None  # retention off by default
