"""The pipeline drives invoicing: an ASN for a known PO yields our invoice, queued, sent, then
accepted or rejected by the partner's 997."""

from __future__ import annotations

from sqlmodel import select

from gateway import mailboxes, pipeline
from gateway.edi import parse
from gateway.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import Document, Message
from tests.pipeline.conftest import sample


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
