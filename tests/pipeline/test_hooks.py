"""The hooks after a stored document: the invoice an ASN calls for is never lost, and built once.

Between "documents stored" and "invoice queued" the database may go away, or the process may be
killed. Either way the message stays unfinished, recovery runs it again, and exactly one invoice
(and one outbound 810) exists afterwards.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from gateway import invoicing
from gateway.service import pipeline
from gateway.service.hooks import STORED_HOOKS
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import Document, Message
from tests.conftest import PROJECT_ROOT
from tests.pipeline.conftest import sample


def _invoices(runtime: Runtime) -> tuple[list[Document], list[Message]]:
    with session_scope(runtime.engine) as session:
        invoices = list(session.exec(select(Document).where(Document.type == "invoice")).all())
        sent = list(
            session.exec(
                select(Message).where(Message.direction == "out", Message.document_types == ["810"])  # type: ignore[arg-type]
            ).all()
        )
        return invoices, sent


def test_the_service_owns_the_hook_list() -> None:
    assert [hook.name for hook in STORED_HOOKS] == [
        "reconciliation",
        "invoicing",
        "settlement",
        "ship notice",
        "po acknowledgement",
    ]


def test_a_database_gone_between_stored_and_invoice_queued_loses_no_invoice(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline.ingest(runtime, sample("x12_4010_850_new_po.edi"), "po.edi")
    real = invoicing.on_documents_stored
    calls: list[int] = []

    def gone_once(*args: object, **kwargs: object) -> list[Document]:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("INSERT INTO documents ...", {}, Exception("server closed the connection"))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(invoicing, "on_documents_stored", gone_once)
    asn = pipeline.ingest(runtime, sample("x12_4010_856_partial_shipment.edi"), "asn.edi")
    assert asn.state == "busy"  # left unfinished: the invoice is owed
    with session_scope(runtime.engine) as session:
        message = session.get(Message, asn.message_id)
        assert message is not None and message.state == "translated" and message.lease_owner is None
    assert _invoices(runtime) == ([], [])
    assert pipeline.recover(runtime) == [asn.message_id]
    assert pipeline.recover(runtime) == []  # done: nothing owed any more
    invoices, sent = _invoices(runtime)
    assert [(i.po_number, i.status) for i in invoices] == [("4TQ8ZK2M", "queued")]
    assert len(sent) == 1
    with session_scope(runtime.engine) as session:
        assert session.get(Message, asn.message_id).state == "done"  # type: ignore[union-attr]


KILLED_BEFORE_INVOICE = """
import os, signal, sys
from pathlib import Path
from gateway import invoicing
from gateway.service import pipeline
from gateway.service.runtime import Runtime
rt = Runtime.open(Path(sys.argv[1]))
assert pipeline.ingest(rt, Path(sys.argv[2]).read_bytes(), "po.edi").state == "done"
def killed(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)  # the power goes: documents stored, invoice not queued
invoicing.on_documents_stored = killed
pipeline.ingest(rt, Path(sys.argv[3]).read_bytes(), "asn.edi")
"""


def test_a_kill_between_stored_and_invoice_queued_builds_the_invoice_once_on_restart(
    home: Path, tmp_path: Path
) -> None:
    script = tmp_path / "killed.py"
    script.write_text(textwrap.dedent(KILLED_BEFORE_INVOICE), encoding="utf-8")
    messages = PROJECT_ROOT / "tests" / "data" / "messages"
    result = subprocess.run(
        [sys.executable, str(script), str(home / "config.yaml"),
         str(messages / "x12_4010_850_new_po.edi"), str(messages / "x12_4010_856_partial_shipment.edi")],
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}, capture_output=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()
    runtime = Runtime.open(home / "config.yaml")
    try:
        with session_scope(runtime.engine) as session:
            asn = session.exec(select(Message).where(Message.filename == "asn.edi")).one()
            assert asn.state != "done" and asn.lease_owner is not None  # held by a dead process
        assert _invoices(runtime) == ([], [])
        assert pipeline.recover(runtime) == [asn.id]
        pipeline.recover(runtime)
        invoices, sent = _invoices(runtime)
        assert [(i.po_number, i.status) for i in invoices] == [("4TQ8ZK2M", "queued")]
        assert len(sent) == 1
    finally:
        runtime.close()


def test_a_large_batch_of_hook_notes_is_summed_up() -> None:
    from gateway.service.hooks import NOTE_EACH, summarised

    few = [f"PO acknowledgement P{n} queued" for n in range(NOTE_EACH)]
    assert summarised("PO acknowledgements", few) == few
    many = [f"PO acknowledgement P{n} queued" for n in range(150)] + [
        f"PO acknowledgement Q{n} held: availability_missing" for n in range(30)
    ]
    lines = summarised("PO acknowledgements", many)
    assert lines[0] == "PO acknowledgements: 180 in this batch (150 queued)"
    assert lines[1:-1] == many[150 : 150 + NOTE_EACH]  # the first ones with a reason, verbatim
    assert lines[-1] == "... and 10 more with a reason"
