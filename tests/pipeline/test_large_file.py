"""A large file is stored a batch at a time with a checkpoint, and a run killed mid-file resumes there.

Issue 15: the pipeline read the whole file into a tree and held every document until one commit
at the end. Now the store stage takes :data:`~gateway.service.pipeline.store.BATCH` transactions a
call and commits each batch with the message's checkpoint (``Message.progress``). Here the batch is
a few transactions and a separate process is killed (SIGKILL: nothing of it runs any more) while
storing the third batch; recovery resumes after the last committed batch (it translates only
the transactions after the checkpoint) and every PO ends stored exactly once, none lost, on a
SQLite file and on PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import col, func, select

from gateway.service import pipeline
from gateway.service.pipeline import store, translate
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import Document, DocumentLine, DocumentMessage, Message, MessageEvent
from tests.conftest import BACKENDS, PROJECT_ROOT, pg_schema
from tests.pipeline.conftest import make_home, sample

POS = 23  # five batches of five, the last one short
BATCH = 5


def interchange(count: int, first: int = 1) -> bytes:
    """One interchange of ``count`` 850s (the sample PO, numbered ``P0000001``...) in one group."""
    text = sample("x12_4010_850_new_po.edi").decode()
    head, rest = text.split("ST*850*0001~", 1)
    body, _tail = rest.split("GE*1*4101~", 1)
    sets = [
        f"ST*850*{n:04d}~" + body.replace("4TQ8ZK2M", f"P{n:07d}").replace("SE*16*0001~", f"SE*16*{n:04d}~")
        for n in range(first, first + count)
    ]
    return (head + "".join(sets) + f"GE*{count}*4101~IEA*1*000004101~").encode()


@pytest.fixture(params=BACKENDS)
def config(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    """A gateway home on a SQLite file or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield make_home(tmp_path / "gw")
        return
    with pg_schema("large") as url:
        yield make_home(tmp_path / "gw", url)


KILLED_IN_THIRD_BATCH = """
import os, signal, sys
from pathlib import Path
from gateway.service import pipeline
from gateway.service.pipeline import store, translate
from gateway.service.runtime import Runtime
store.BATCH = int(sys.argv[3])
calls = []
real = translate._translate_one
def dies(*args, **kwargs):
    calls.append(1)
    if len(calls) == 2 * store.BATCH + 2:  # two batches committed, the third half translated
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*args, **kwargs)
translate._translate_one = dies
rt = Runtime.open(Path(sys.argv[1]))
pipeline.ingest(rt, Path(sys.argv[2]), "big.edi")
"""


def _stored(runtime: Runtime) -> tuple[list[str], int, int]:
    with session_scope(runtime.engine) as session:
        keys = sorted(session.exec(select(Document.business_key).where(Document.type == "purchase_order")))
        lines = session.exec(select(func.count()).select_from(DocumentLine)).one()
        links = session.exec(select(func.count()).select_from(DocumentMessage)).one()
        return list(keys), int(lines), int(links)


def test_a_run_killed_mid_file_resumes_at_its_checkpoint(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = tmp_path / "big.edi"
    big.write_bytes(interchange(POS))
    script = tmp_path / "killed.py"
    script.write_text(textwrap.dedent(KILLED_IN_THIRD_BATCH), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script), str(config), str(big), str(BATCH)],
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}, capture_output=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()
    runtime = Runtime.open(config)
    try:
        with session_scope(runtime.engine) as session:
            message = session.exec(select(Message).where(Message.filename == "big.edi")).one()
            assert message.state == "translated" and message.progress is not None
            assert message.progress["transactions"] == 2 * BATCH  # what the two committed batches read
            assert message.progress["documents"] == 2 * BATCH
        keys, _lines, _links = _stored(runtime)
        assert keys == [f"P{n:07d}" for n in range(1, 2 * BATCH + 1)]  # the third batch is not committed

        monkeypatch.setattr(store, "BATCH", BATCH)
        translated: list[int] = []
        real = translate._translate_one

        def counted(*args: object, **kwargs: object) -> object:
            translated.append(1)
            return real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(translate, "_translate_one", counted)
        assert pipeline.recover(runtime) == [message.id]
        assert len(translated) == POS - 2 * BATCH  # resumed after the checkpoint, not from the start
        keys, lines, links = _stored(runtime)
        assert keys == [f"P{n:07d}" for n in range(1, POS + 1)]  # each once: no double, no loss
        assert lines == 3 * POS and links == POS
        with session_scope(runtime.engine) as session:
            done = session.get(Message, message.id)
            assert done is not None and done.state == "done" and done.progress is None
    finally:
        runtime.close()


def test_a_file_of_many_batches_is_stored_once_and_noted_by_batch(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "BATCH", BATCH)
    monkeypatch.setattr(store, "NOTE_EACH", 2)
    runtime = Runtime.open(config)
    try:
        receipt = pipeline.ingest(runtime, interchange(POS), "big.edi")
        assert receipt.state == "done"
        keys, lines, links = _stored(runtime)
        assert keys == [f"P{n:07d}" for n in range(1, POS + 1)] and lines == 3 * POS and links == POS
        with session_scope(runtime.engine) as session:
            notes = session.exec(
                select(MessageEvent.note)
                .where(
                    MessageEvent.message_id == receipt.message_id, col(MessageEvent.note).contains("stored")
                )
                .order_by(col(MessageEvent.id))
            ).all()
        assert notes[0] == "5 purchase_order stored (P0000001 ... P0000005): 5 created"
        assert "3 purchase_order stored (P0000021 ... P0000023): 3 created" in notes
        # the same file again from a replay: every document unchanged, none added
        [outcome] = pipeline.replay(runtime, [receipt.message_id], actor="test", reason="again")
        assert outcome.state == "done"
        assert _stored(runtime) == (keys, lines, links)
    finally:
        runtime.close()
