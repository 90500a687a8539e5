"""Canonical XML through a partner's mailbox: taken only from partners that send it, checked
by the XSD and the model, stored and reconciled like EDI, refused with the line at fault."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import select

from gateway.canonical import Shipment
from gateway.canonical.xml import to_xml
from gateway.service import pipeline
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import Document, DocumentMessage, Message
from tests.pipeline.conftest import MESSAGES


def _shipment(runtime: Runtime, **changes) -> Shipment:
    """A canonical Shipment as a warehouse's ERP would write it (the sample 856's expected document)."""
    (data,) = json.loads(
        (MESSAGES / "x12_4010_856_partial_shipment.expected.json").read_text(encoding="utf-8")
    )
    return Shipment.from_json_dict(data).model_copy(update=changes)


def _accept(home: Path, types: str) -> None:
    profile = home / "partners" / "warehouse.yaml"
    profile.write_text(profile.read_text(encoding="utf-8") + f"\naccept_xml: [{types}]\n", encoding="utf-8")


def _message(runtime: Runtime, message_id: int) -> Message:
    with session_scope(runtime.engine) as session:
        return session.get(Message, message_id)


def test_a_warehouse_shipment_in_xml_is_stored_as_the_partners(runtime: Runtime, home: Path) -> None:
    shipment = _shipment(runtime, shipment_id="XMLSHIP1", partner="amazon-us")  # it claims another partner
    _accept(home, "shipment")
    receipt = pipeline.ingest(runtime, to_xml(shipment), "ship.xml", partner="warehouse", mailbox="local")
    assert receipt.state == "done", receipt
    message = _message(runtime, receipt.message_id)
    assert (message.standard, message.document_types, message.partner) == ("xml", ["shipment"], "warehouse")
    assert message.ack_message_id is None  # no 997 for XML
    with session_scope(runtime.engine) as session:
        doc = session.exec(select(Document).where(Document.business_key == "XMLSHIP1")).one()
        assert (doc.type, doc.partner) == ("shipment", "warehouse")
        assert Shipment.model_validate(doc.data).orders == shipment.orders
        link = session.exec(select(DocumentMessage).where(DocumentMessage.document_id == doc.id)).one()
        assert (link.message_id, link.role) == (message.id, "source")

    again = pipeline.ingest(runtime, to_xml(shipment), "ship-again.xml", partner="warehouse", mailbox="local")
    assert again.state == "duplicate"  # the same bytes
    other = _shipment(runtime, shipment_id="XMLSHIP2")
    second = pipeline.ingest(runtime, to_xml(other), "ship2.xml", partner="warehouse", mailbox="local")
    assert second.state == "done"  # no envelope: two XML files are not duplicates of each other


def test_xml_from_a_partner_that_sends_edi_is_refused(runtime: Runtime, home: Path) -> None:
    data = to_xml(_shipment(runtime))
    receipt = pipeline.ingest(runtime, data, "ship.xml", partner="amazon-us", mailbox="local")
    message = _message(runtime, receipt.message_id)
    assert (receipt.state, message.error_code) == ("failed", "XML_NOT_ACCEPTED")
    assert "accept_xml" in message.error_message

    _accept(home, "invoice")  # the warehouse may send invoices, not shipments
    receipt = pipeline.ingest(runtime, data, "ship.xml", partner="warehouse", mailbox="local")
    message = _message(runtime, receipt.message_id)
    assert message.error_code == "XML_NOT_ACCEPTED"
    assert "may send invoice as XML, not shipment" in message.error_message


def test_xml_without_a_partner_mailbox_is_refused(runtime: Runtime, home: Path) -> None:
    _accept(home, "shipment")
    receipt = pipeline.ingest(runtime, to_xml(_shipment(runtime)), "ship.xml")
    message = _message(runtime, receipt.message_id)
    assert (receipt.state, message.error_code) == ("failed", "UNKNOWN_PARTNER")


def test_bad_xml_fails_naming_line_and_element_and_the_gateway_goes_on(runtime: Runtime, home: Path) -> None:
    _accept(home, "shipment")
    good = to_xml(_shipment(runtime, shipment_id="XMLSHIP3"))
    bad = good.replace(b"<ship_date>", b"<ship_date>not a date", 1)
    receipt = pipeline.ingest(runtime, bad, "bad.xml", partner="warehouse", mailbox="local")
    message = _message(runtime, receipt.message_id)
    assert (receipt.state, message.error_stage, message.error_code) == ("failed", "parse", "XML_INVALID")
    line = bad[: bad.index(b"<ship_date>")].count(b"\n") + 1
    assert message.error_position == {"line": line, "element": "ship_date"}
    assert f"line {line}, element ship_date" in message.error_message
    doctype = b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e "boom">]>\n<shipment/>'
    refused = pipeline.ingest(runtime, doctype, "entity.xml", partner="warehouse", mailbox="local")
    assert _message(runtime, refused.message_id).error_code == "XML_INVALID"
    assert pipeline.ingest(runtime, good, "good.xml", partner="warehouse", mailbox="local").state == "done"
