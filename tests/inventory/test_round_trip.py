"""Every 846 and INVRPT we write is read back by our own reader to the same canonical availability."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.canonical import Availability
from gateway.canonical.inventory_feed import as_sent
from gateway.edi import parse
from gateway.mapping import MappingRegistry
from gateway.mapping.emit import Envelope, write_documents

REGISTRY = MappingRegistry()
ENVELOPE = Envelope("ACMEVENDOR", "AMAZON", "000000042", datetime(2026, 1, 15, 9, 30), group_control="42")


def feed() -> Availability:
    return Availability.model_validate(
        {
            "feed_id": "stock-20261204",
            "as_of": datetime(2026, 12, 4, 23, 30, tzinfo=UTC),
            "warehouse": "WH-RENO",
            "lines": [
                {
                    "item": {"asin": "B07XJ8C8F5", "vendor_sku": "SKU-1"},
                    "quantity_available": 120,
                    "cost": "4.75",
                    "currency": "USD",
                },
                {
                    "item": {"ean": "4006381333931", "upc": "012345678905", "buyer_sku": "B1"},
                    "quantity_available": 0,
                    "uom": "CA",
                    "available_on": date(2026, 12, 20),
                    "currency": "USD",
                    "status": "backorder",
                },
            ],
        }
    )


FORMS = [("x12", "004010", "846"), ("edifact", "D96A", "INVRPT")]


def _round_trip(doc: Availability, form: tuple[str, str, str] = FORMS[0]) -> tuple[bytes, Availability]:
    standard, version, document = form
    mapping = REGISTRY.select(standard, version, document, "outbound")
    data = write_documents(mapping, [doc], ENVELOPE)
    parsed = parse(data)
    assert parsed.ok, parsed.errors
    (tx,) = parsed.transactions
    assert tx.type == document and tx.version.startswith(version if standard == "x12" else "D")
    back = REGISTRY.translate(tx)
    assert isinstance(back, Availability)
    return data, back


def test_an_846_round_trips() -> None:
    sent = as_sent(feed())
    data, back = _round_trip(sent)
    assert back == sent
    text = data.decode()
    assert "BIA*00*MM*stock-20261204*20261204*0000~" in text
    assert "LIN**BP*B07XJ8C8F5*****VN*SKU-1~" in text
    assert "CTP**UCP*4.75~" in text and "QTY*33*120*EA~" in text and "DTM*018*20261220~" in text
    assert "CUR*SE*USD~" in text and "CTT*2~" in text


_ids = st.text(st.characters(codec="ascii", categories=("Lu", "Nd")), min_size=1, max_size=12)
_lines = st.lists(
    st.fixed_dictionaries(
        {
            "item": st.fixed_dictionaries({"asin": _ids}, optional={"vendor_sku": _ids, "ean": _ids}),
            "quantity_available": st.integers(0, 10**7).map(Decimal),
        },
        optional={
            "cost": st.decimals(min_value=0, max_value=10**5, places=2),
            "available_on": st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
            "uom": st.sampled_from(["EA", "CA"]),
        },
    ),
    min_size=1,
    max_size=6,
)


def test_an_invrpt_round_trips() -> None:
    sent = as_sent(feed())
    data, back = _round_trip(sent, FORMS[1])
    assert back == sent
    text = data.decode()
    assert "UNH+1+INVRPT:D:96A:UN:EAN005'" in text
    assert "BGM+35+stock-20261204+9'" in text and "DTM+137:20261204:102'" in text
    assert "NAD+WH+WH-RENO::92'" in text and "CUX+2:USD:9'" in text
    assert "LIN+1'" in text and "PIA+5+B07XJ8C8F5:BP'" in text and "PIA+5+SKU-1:SA'" in text
    assert "QTY+145:120:EA'" in text and "PRI+AAA:4.75'" in text
    assert "LIN+2++4006381333931:EN'" in text and "DTM+44:20261220:102'" in text
    assert "CNT+2:2'" in text


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f[2])
@settings(max_examples=40, deadline=None)
@given(lines=_lines, moment=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1)))
def test_any_feed_round_trips(form, lines, moment) -> None:
    doc = as_sent(
        Availability.model_validate({"feed_id": "F1", "as_of": moment, "currency": "EUR", "lines": lines})
    )
    assert _round_trip(doc, form)[1] == doc
