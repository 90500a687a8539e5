"""The parse stage's outline of a file: each transaction kept small (header segment only, shared values).

The outline lives as long as the message is processed (identify, dedupe, the 997/CONTRL and the
verdict read it), so on a 100 MB mailbag of some 60,000 transactions each byte a transaction
counts. These tests check what it keeps, not how fast or how big it is.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.edi import collect, read_events
from gateway.edi.model import Transaction
from gateway.service.pipeline.parse import outline

DATA = Path(__file__).resolve().parents[1] / "data" / "messages"
FILES = ["x12_4010_850_two_pos.edi", "edifact_d96a_orders_po.edi"]


@pytest.mark.parametrize("name", FILES)
def test_the_outline_keeps_each_transactions_envelope_and_header(name: str) -> None:
    full, kept = collect(read_events(DATA / name)), outline(DATA / name)
    assert kept.standard == full.standard and kept.issues == full.issues
    assert len(kept.transactions) == len(full.transactions) > 0
    for small, whole in zip(kept.transactions, full.transactions, strict=True):
        assert type(small) is Transaction  # not a reader's lazy one, holding the text to split
        assert small.segments == whole.segments[:1]
        fields = ("type", "control_number", "version", "index", "first_segment", "issues")
        assert [getattr(small, f) for f in fields] == [getattr(whole, f) for f in fields]
        assert (small.interchange, small.group) == (whole.interchange, whole.group)
        assert small.position(0) == whole.position(0)


def test_transactions_share_their_header_values() -> None:
    """One object for the tag, type and version of every transaction, and the control number
    of the header is the transaction's own (not a copy)."""
    first, second = outline(DATA / "x12_4010_850_two_pos.edi").transactions[:2]
    assert first.segments[0][0] is second.segments[0][0]
    assert first.type is second.type is first.segments[0][1] is second.segments[0][1]
    assert first.version is second.version
    assert first.control_number is first.segments[0][2]
    assert second.control_number is second.segments[0][2]
