"""Every ship notice we write is read back by our own readers to the same canonical shipment."""

from __future__ import annotations

from datetime import datetime

import pytest

from gateway.canonical.ship_notice import as_sent, ship_notice
from gateway.edi import parse
from gateway.mapping import MappingRegistry
from gateway.mapping.emit import Envelope, write_documents
from tests.shipping.conftest import shipment


@pytest.mark.parametrize(
    ("standard", "version", "document"),
    [("x12", "004010", "856"), ("x12", "005010", "856"), ("edifact", "D96A", "DESADV")],
)
def test_a_ship_notice_round_trips(standard: str, version: str, document: str) -> None:
    registry = MappingRegistry()
    sent = as_sent(shipment())
    mapping = registry.select(standard, version, document, "outbound")
    envelope = Envelope("ACMEVENDOR", "AMAZON", "000000042", datetime(2026, 1, 15, 9, 30), group_control="42")
    data = write_documents(mapping, [ship_notice(sent)], envelope)
    parsed = parse(data)
    assert parsed.ok, parsed.errors
    (tx,) = parsed.transactions
    assert (tx.type, tx.version[:6] if standard == "x12" else tx.version) == (document, version)
    if standard == "edifact":  # DESADV states no case size (QTY+12 is in the unit shipped)
        data_sent = sent.model_dump()
        for order in data_sent["orders"]:
            for line in order["lines"]:
                line["case_size"] = None
        sent = type(sent).model_validate(data_sent)
    assert registry.translate(tx) == sent
