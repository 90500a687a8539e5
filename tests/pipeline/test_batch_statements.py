"""A batch of small messages costs a fixed number of SQL statements a message (issue 16 item 1).

Counted, not timed: the statements a batch of small 850s runs (claim to commit), by kind. One
savepoint a message (not one a stage and a hook), the documents stored with one ``INSERT ...
RETURNING`` and no read-back of their keys, the order book asked once a message (not once a
hook), and the per-message count the same for a batch twice as large. A message whose hook
fails is rolled back and run again, a savepoint a stage and a hook: the hook's failure is on its
timeline once, its other work and its neighbours' stay.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlmodel import Session, col, select

from gateway.canonical import Shipment
from gateway.canonical.xml import to_xml
from gateway.service import pipeline
from gateway.service.hooks import STORED_HOOKS, Hook
from gateway.service.pipeline import batch
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import Document, DocumentLine, Message, MessageEvent
from tests.pipeline.conftest import MESSAGES, numbered_po

_KIND = re.compile(
    r"^\s*(SELECT|INSERT INTO|UPDATE|DELETE FROM|SAVEPOINT|RELEASE SAVEPOINT|\w+)\s*(\"?\w+)?", re.I
)


def _kind(sql: str) -> str:
    match = _KIND.match(sql)
    if match is None:
        return "?"
    verb = match.group(1).split()[0].upper()
    if verb == "SELECT":
        table = re.search(r"\bFROM\s+\"?(\w+)", sql, re.I)
        return f"SELECT {table.group(1) if table else ''}".strip()
    if verb in ("SAVEPOINT", "RELEASE", "ROLLBACK"):
        return verb
    return f"{verb} {(match.group(2) or '').strip(chr(34))}".strip()


@contextmanager
def counted(runtime: Runtime) -> Iterator[Counter[str]]:
    """The statements ``runtime``'s engine runs in the block, by kind (verb and table)."""
    kinds: Counter[str] = Counter()

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        kinds[_kind(statement)] += 1

    event.listen(runtime.engine, "before_cursor_execute", record)
    try:
        yield kinds
    finally:
        event.remove(runtime.engine, "before_cursor_execute", record)


def _receive(runtime: Runtime, numbers: Sequence[int]) -> list[int]:
    files = [
        pipeline.Incoming(
            numbered_po(n), f"po_{n}.edi", pipeline.Origin(partner="amazon-us", mailbox="inbox")
        )
        for n in numbers
    ]
    return [r.message_id for r in pipeline.receive_batch(runtime, files)]


def _batch(runtime: Runtime, numbers: Sequence[int]) -> Counter[str]:
    _receive(runtime, numbers)
    with counted(runtime) as kinds:
        summaries = batch.process_batch(runtime)
    assert [s.state for s in summaries] == ["done"] * len(numbers)
    return kinds


def test_a_batch_of_small_messages_costs_few_statements_each(runtime: Runtime) -> None:
    small = _batch(runtime, range(9101, 9106))  # 5 messages
    large = _batch(runtime, range(9201, 9211))  # 10
    for kinds, n in ((small, 5), (large, 10)):
        assert kinds["SAVEPOINT"] == kinds["RELEASE"] == n  # one a message, hooks and stages within
        # the order book once (not a hook); the keys are not looked up first (INSERT ... ON CONFLICT)
        assert kinds["SELECT documents"] <= n
        # the claim, then the message written once, when its savepoint ends: not by the 997's
        # insert, its counters' upsert or the hooks' first query
        assert kinds["UPDATE messages"] <= n + 1
        assert kinds["INSERT messages"] == n  # the 997s, one each
        assert kinds["INSERT counters"] <= n + 1  # the 997's ISA, GS and ST in one statement
        assert kinds["INSERT documents"] == kinds["INSERT document_lines"] == n  # one each, lines in one
        assert kinds["INSERT document_messages"] == n
        assert kinds["DELETE document_lines"] == 0  # a new document has no lines to delete
        assert kinds["SELECT messages"] <= 3  # the rows claimed, and the batch's look-ahead
        assert kinds["SELECT interchanges_seen"] <= n  # dedupe's; nothing to correct: no lookup
    assert sum(large.values()) / 10 <= sum(small.values()) / 5  # nothing a message grows with the batch
    assert sum(large.values()) / 10 <= 14, large  # main before: 32.4, then 15.6 (2026-12-04)


_VARYING = {"id", "filename", "sha256", "archive_path", "receipt_key"}


def _row(session: Session, message_id: int, number: int, exclude: frozenset[str] = frozenset()) -> str:
    """A message's columns, without those that differ between two files or two moments: its own
    number (PO and control numbers) written N, timestamps and ids of other rows as present or not."""
    row = session.get(Message, message_id)
    assert row is not None
    values = row.model_dump(exclude=_VARYING | exclude)
    for key in [k for k in values if k.endswith(("_at", "_until", "_id"))]:
        values[key] = values[key] is not None
    text = json.dumps(values, sort_keys=True, default=str).replace(str(number), "N")
    return re.sub(r'"digest": "[0-9a-f]{64}"', '"digest": "D"', text)  # each file's own bytes


def test_a_batch_writes_the_rows_a_lone_run_writes(runtime: Runtime) -> None:
    """The same PO processed in a batch and alone: the same message row (its columns but the ones
    that differ from file to file), the same timeline, the same documents and lines, the same 997
    row. (The batch writes the message once, holding its changes back from the 997's insert and
    the hooks' flushes: nothing of them may be lost or written differently.)"""
    [in_batch] = _receive(runtime, [9501])
    assert [s.state for s in batch.process_batch(runtime)] == ["done"]
    [alone] = _receive(runtime, [9502])
    assert pipeline.process(runtime, alone).state == "done"
    with session_scope(runtime.engine) as session:
        assert _row(session, in_batch, 9501) == _row(session, alone, 9502)
        timeline = {
            i: [
                (e.state, e.actor, re.sub(r"950[12]|message \d+", "N", e.note or ""), e.detail)
                for e in session.exec(
                    select(MessageEvent)
                    .where(col(MessageEvent.message_id) == i)
                    .order_by(col(MessageEvent.id))
                )
            ]
            for i in (in_batch, alone)
        }
        assert timeline[in_batch] == timeline[alone]
        docs = {
            d.source_message_id: d
            for d in session.exec(select(Document).where(Document.type == "purchase_order"))
        }
        one, two = docs[in_batch], docs[alone]
        assert one.model_dump(exclude={"id", "business_key", "data", "po_number", "source_message_id",
                                       "created_at", "updated_at"}) == two.model_dump(
            exclude={"id", "business_key", "data", "po_number", "source_message_id", "created_at", "updated_at"}
        )  # fmt: skip
        lines = {
            i: [
                line.model_dump(exclude={"id", "document_id", "po_number"})
                for line in session.exec(select(DocumentLine).where(DocumentLine.document_id == d.id))
            ]
            for i, d in ((in_batch, one), (alone, two))
        }
        assert lines[in_batch] == lines[alone] and lines[alone]
        acks = session.exec(select(Message).where(Message.direction == "out").order_by(col(Message.id))).all()
        assert len(acks) == 2
        numbers = frozenset({"interchange_control", "group_controls", "transaction_controls"})  # our own
        assert _row(session, int(acks[0].id or 0), 9501, numbers) == _row(
            session, int(acks[1].id or 0), 9502, numbers
        )


def test_a_failing_hook_is_rolled_back_alone_and_noted_once(runtime: Runtime) -> None:
    ids = _receive(runtime, [9301, 9302, 9303])
    ran: list[str] = []

    def boom(session: Session, rt: Runtime, rows: Sequence[Document]) -> list[str]:
        if any(d.business_key == "P0009302" for d in rows):
            raise RuntimeError("boom")
        return []

    def after(session: Session, rt: Runtime, rows: Sequence[Document]) -> list[str]:
        ran.extend(d.business_key for d in rows)
        return [f"after {d.business_key}" for d in rows]

    hooks = (*STORED_HOOKS[:1], Hook("boom", boom), Hook("after", after))
    summaries = batch.process_batch(runtime, hooks=hooks)
    assert [s.state for s in summaries] == ["done", "done", "done"]
    with session_scope(runtime.engine) as session:
        keys = sorted(d.business_key for d in session.exec(select(Document)).all())
        assert keys == ["P0009301", "P0009302", "P0009303"]
        notes = {
            i: [
                e.note or ""
                for e in session.exec(select(MessageEvent).where(col(MessageEvent.message_id) == i))
            ]
            for i in ids
        }
        states = [session.get(Message, i).state for i in ids]  # type: ignore[union-attr]
    assert states == ["done", "done", "done"]
    middle = notes[ids[1]]
    assert [n for n in middle if n.startswith("boom failed")] == ["boom failed: RuntimeError: boom"]
    assert middle.count("done") == 1 and sum(n.startswith("acknowledgement queued") for n in middle) == 1
    assert "after P0009302" in middle  # the hook after the failing one still ran
    # the second message's first try stopped at "boom"; its careful run went on after it
    assert ran == ["P0009301", "P0009302", "P0009303"]


def _broken(n: int) -> bytes:
    """The numbered PO with its BEG03 (the PO number the mapping requires) emptied: fails to translate."""
    return numbered_po(n).replace(f"P{n:07d}".encode(), b"", 1)


def _received(runtime: Runtime, files: Sequence[tuple[str, bytes]]) -> list[int]:
    origin = pipeline.Origin(partner="amazon-us", mailbox="inbox")
    incoming = [pipeline.Incoming(data, name, origin) for name, data in files]
    return [r.message_id for r in pipeline.receive_batch(runtime, incoming)]


def test_what_a_batch_looks_up_once_decides_as_each_message_alone(any_runtime: Runtime) -> None:
    """The same bytes twice in one batch: the second is a duplicate; a failure earlier in the same
    batch (no failure before it), or in an earlier batch, is corrected by its copy (the look-ahead
    is only a shortcut: each decision is the same as a message alone would make)."""
    ids = _received(
        any_runtime,
        [
            ("broken.edi", _broken(9401)),
            ("a.edi", numbered_po(9402)),
            ("a-again.edi", numbered_po(9402)),
            ("fixed.edi", numbered_po(9401)),
        ],
    )
    summaries = batch.process_batch(any_runtime)
    assert [s.state for s in summaries] == ["failed", "done", "duplicate", "done"]
    [before] = _received(any_runtime, [("old.edi", _broken(9403))])
    assert [s.state for s in batch.process_batch(any_runtime)] == ["failed"]
    [after] = _received(any_runtime, [("old-fixed.edi", numbered_po(9403))])
    assert [s.state for s in batch.process_batch(any_runtime)] == ["done"]
    with session_scope(any_runtime.engine) as session:
        rows = {i: session.get(Message, i) for i in [*ids, before, after]}
        assert rows[ids[2]].duplicate_of_id == ids[1]  # type: ignore[union-attr]
        assert rows[ids[0]].state == rows[before].state == "resolved"  # type: ignore[union-attr]
        assert rows[ids[3]].corrects_id == ids[0]  # type: ignore[union-attr]
        assert rows[after].corrects_id == before  # type: ignore[union-attr]


def test_the_same_xml_twice_in_a_batch_is_a_duplicate(runtime: Runtime, home: Path) -> None:
    """Canonical XML has no interchange: only its bytes make it a duplicate, in a batch as alone."""
    profile = home / "partners" / "warehouse.yaml"
    profile.write_text(profile.read_text(encoding="utf-8") + "\naccept_xml: [shipment]\n", encoding="utf-8")
    (data,) = json.loads(
        (MESSAGES / "x12_4010_856_partial_shipment.expected.json").read_text(encoding="utf-8")
    )
    xml = to_xml(Shipment.from_json_dict(data).model_copy(update={"shipment_id": "XMLBATCH1"}))
    origin = pipeline.Origin(partner="warehouse", mailbox="local")
    files = [pipeline.Incoming(xml, name, origin) for name in ("ship.xml", "ship-again.xml")]
    first, second = (r.message_id for r in pipeline.receive_batch(runtime, files))
    assert [s.state for s in batch.process_batch(runtime)] == ["done", "duplicate"]
    with session_scope(runtime.engine) as session:
        assert session.get(Message, second).duplicate_of_id == first  # type: ignore[union-attr]
