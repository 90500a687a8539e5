"""Random mutations of valid X12 and EDIFACT files through ``pipeline.ingest``, storage included.

Whatever a partner sends, the message ends done, duplicate or failed with a reason: never an
exception out of ``ingest``, never ``INTERNAL_ERROR``, never a message left unfinished (issue 15).
The mutations are bytes replaced (``0xFF`` and separators among them), deleted or inserted, and
whole segments dropped, doubled or swapped. SQLite file: 200 examples; PostgreSQL: 50.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from gateway.service import pipeline
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.messages import UNFINISHED
from gateway.store.models import Message, MessageEvent, MessageState
from tests.conftest import NEEDS_PG, pg_schema
from tests.pipeline.conftest import make_home, sample

SAMPLES = [
    "x12_4010_850_new_po.edi",
    "x12_4010_850_two_pos.edi",
    "x12_4010_850_case_pack.edi",
    "x12_4010_180_return_authorization.edi",
    "x12_4010_856_items_after_packs.edi",
    "x12_5010_856_pallet_tare.edi",
    "edifact_d96a_orders_po.edi",
    "edifact_d96a_retann_returns.edi",
]
_NAMES = itertools.count(1)
SPECIAL = b"\xff\x00*~:+'?\n ~\x1d"


def _terminator(data: bytes) -> bytes:
    if data.startswith(b"ISA") and len(data) > 105:
        return data[105:106]
    return b"'"


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    """A sample file (each ends done unchanged) with one to three random mutations."""
    name = draw(st.sampled_from(SAMPLES))
    data = bytearray(sample(name))
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["replace", "delete", "insert", "segment"]))
        start = draw(st.sampled_from([0, min(110, len(data) // 2)]))  # mostly past the ISA/UNB
        at = draw(st.integers(start, max(start, len(data) - 1)))
        byte = draw(st.one_of(st.sampled_from(list(SPECIAL)), st.integers(0, 255)))
        if kind == "replace" and data:
            data[at] = byte
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 8))]
        elif kind == "insert":
            data[at:at] = bytes([byte]) * draw(st.integers(1, 3))
        else:
            term = _terminator(bytes(data))
            segments = bytes(data).split(term)
            i = draw(st.integers(0, len(segments) - 1))
            j = draw(st.integers(0, len(segments) - 1))
            how = draw(st.sampled_from(["drop", "double", "swap"]))
            if how == "drop":
                del segments[i]
            elif how == "double":
                segments.insert(i, segments[i])
            else:
                segments[i], segments[j] = segments[j], segments[i]
            data = bytearray(term.join(segments))
    return name, bytes(data)


def _control(data: bytes) -> bytes:
    """The sample's interchange control number (ISA13 / UNB 5)."""
    if data.startswith(b"ISA"):
        return data[:106].split(data[3:4])[13]
    unb = data[data.index(b"UNB+") :].split(b"'")[0]
    return unb.split(b"+")[5]


def _check(runtime: Runtime, name: str, data: bytes) -> None:
    """Ingest ``data`` (its interchange numbered afresh, so no example is a duplicate of another)."""
    n = next(_NAMES)
    control = _control(sample(name))
    data = data.replace(control, f"{n % 10 ** len(control):0{len(control)}d}".encode())
    filename = f"mut-{n}-{name}"
    receipt = pipeline.ingest(runtime, data, filename, partner=None, mailbox=None)  # never raises
    with session_scope(runtime.engine) as session:
        message = session.get(Message, receipt.message_id)
        assert message is not None
        assert message.state not in UNFINISHED, (message.state, data)
        assert message.state in {
            s.value
            for s in (
                MessageState.DONE,
                MessageState.FAILED,
                MessageState.DUPLICATE,
                MessageState.SUSPECT_DUPLICATE,
            )
        }
        if message.state == MessageState.SUSPECT_DUPLICATE.value:
            # a mutated ISA13/UNB 5 is not renumbered above: two examples can share it with other
            # bytes, and that is held for an operator, naming the earlier message
            held = session.exec(
                select(MessageEvent).where(
                    col(MessageEvent.message_id) == message.id,
                    col(MessageEvent.state) == MessageState.SUSPECT_DUPLICATE.value,
                )
            ).first()
            assert held is not None and "control number of message" in (held.note or ""), data
        if message.state == MessageState.FAILED.value:
            assert message.error_code and message.error_code != "INTERNAL_ERROR", (
                message.error_message,
                data,
            )
            assert message.error_message
        assert message.lease_owner is None


@pytest.fixture(scope="module")
def sqlite_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    rt = Runtime.open(make_home(tmp_path_factory.mktemp("mut") / "gw"))
    yield rt
    rt.close()


@pytest.fixture(scope="module")
def pg_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    with pg_schema("mut") as url:
        rt = Runtime.open(make_home(tmp_path_factory.mktemp("mutpg") / "gw", url))
        yield rt
        rt.close()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=mutated())
def test_mutations_end_done_or_failed_with_a_reason_sqlite(
    sqlite_runtime: Runtime, case: tuple[str, bytes]
) -> None:
    _check(sqlite_runtime, *case)


@NEEDS_PG
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=mutated())
def test_mutations_end_done_or_failed_with_a_reason_postgresql(
    pg_runtime: Runtime, case: tuple[str, bytes]
) -> None:
    _check(pg_runtime, *case)
