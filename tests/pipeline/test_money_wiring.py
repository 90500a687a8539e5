"""The pipeline drives invoicing: an ASN for a known PO yields our invoice, queued, sent, then
accepted or rejected by the partner's 997."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from gateway import invoicing, reconcile
from gateway.edi import parse
from gateway.service import mailboxes, pipeline
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import Discrepancy, Document, Message, MessageEvent
from tests.conftest import BACKENDS, pg_schema
from tests.pipeline.conftest import make_home, sample


def test_an_asn_makes_our_invoice_which_is_sent_and_then_accepted(runtime: Runtime) -> None:
    pipeline.ingest(runtime, sample("x12_4010_850_new_po.edi"), "po.edi")
    asn = pipeline.ingest(runtime, sample("x12_4010_856_partial_shipment.edi"), "asn.edi")
    assert asn.state == "done"
    with session_scope(runtime.engine) as session:
        (invoice,) = session.exec(select(Document).where(Document.type == "invoice")).all()
        assert (invoice.partner, invoice.po_number, invoice.status) == ("amazon-us", "4TQ8ZK2M", "queued")
    mailboxes.send_due(runtime)
    with session_scope(runtime.engine) as session:
        sent = session.exec(
            select(Message).where(Message.direction == "out", Message.document_types == ["810"])  # type: ignore[arg-type]
        ).one()
        assert sent.state == "sent"
        assert session.get(Document, invoice.id).status == "sent"
        group = sent.group_controls[0]
    assert parse(runtime.archive.read(sent.sha256)).transactions[0].type == "810"
    ack = (
        "ISA*00*          *00*          *ZZ*AMAZON         *ZZ*ACMEVENDOR     *260116*0900*U*00401*000009002*0*P*>~"
        "GS*FA*AMAZON*ACMEVENDOR*20260116*0900*9002*X*004010~ST*997*0001~"
        f"AK1*IN*{group}~AK2*810*0001~AK5*A~AK9*A*1*1*1~SE*6*0001~GE*1*9002~IEA*1*000009002~"
    ).encode()
    assert pipeline.ingest(runtime, ack, "997.edi").state == "done"
    with session_scope(runtime.engine) as session:
        assert session.get(Document, invoice.id).status == "accepted"
        assert session.get(Message, sent.id).state == "acknowledged"


@pytest.fixture(params=BACKENDS)
def any_runtime(request, tmp_path: Path) -> Iterator[Runtime]:
    """A runtime on SQLite or on a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        rt = Runtime.open(make_home(tmp_path / "gw"))
        yield rt
        rt.close()
        return
    with pg_schema("wiring") as url:
        rt = Runtime.open(make_home(tmp_path / "gw", url))
        yield rt
        rt.close()


@pytest.mark.parametrize("stage", ["reconcile", "invoice"])
def test_a_failing_money_step_rolls_back_its_own_writes_and_keeps_the_documents(
    any_runtime: Runtime, monkeypatch: pytest.MonkeyPatch, stage: str
) -> None:
    """Reconciliation and invoicing run in a SAVEPOINT: what they wrote before failing is undone,
    the message is still done, its documents stored, and the failure is on its timeline."""

    def half_done_then_broken(*args: object, **kwargs: object) -> None:
        session = next(a for a in (*args, *kwargs.values()) if isinstance(a, Session))
        session.add(Discrepancy(key=f"half-done-{stage}", partner="amazon-us", kind="test"))
        session.flush()  # really written inside the savepoint
        raise RuntimeError("boom")

    if stage == "reconcile":
        monkeypatch.setattr(reconcile, "reconcile_documents", half_done_then_broken)
    else:
        monkeypatch.setattr(invoicing, "on_documents_stored", half_done_then_broken)
    pipeline.ingest(any_runtime, sample("x12_4010_850_new_po.edi"), "po.edi")
    message = pipeline.ingest(any_runtime, sample("x12_4010_856_partial_shipment.edi"), "asn.edi")
    assert message.state == "done"
    with session_scope(any_runtime.engine) as session:
        assert session.exec(select(Discrepancy).where(Discrepancy.key.startswith("half-done"))).all() == []  # type: ignore[attr-defined]
        shipment = session.exec(select(Document).where(Document.type == "shipment")).one()
        assert shipment.source_message_id == message.message_id
        notes = [
            e.note or ""
            for e in session.exec(select(MessageEvent).where(MessageEvent.message_id == message.message_id))
        ]
    what = "reconciliation" if stage == "reconcile" else "invoicing"
    assert any(f"{what} failed: RuntimeError: boom" in note for note in notes), notes
