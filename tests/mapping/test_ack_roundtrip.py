"""Property: any PO acknowledgement rendered through the outbound mapping, written, parsed and
read back through the inbound mapping is the same canonical acknowledgement (X12 855 and
EDIFACT ORDRSP). The cost is always echoed (a blank cost is rejected by Amazon)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.canonical import PoAcknowledgement
from gateway.edi import parse
from gateway.mapping import MappingRegistry, TranslationError, default_root
from gateway.mapping.emit import Envelope, write_documents
from tests.canonical.conftest import po_acknowledgement_dict

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
text = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-", min_size=1, max_size=12)
dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
REASONS = [
    "temporarily_unavailable",
    "invalid_product_identifier",
    "obsolete_product",
    "discontinued",
    "other",
]


@st.composite
def acknowledgements(draw) -> dict:
    lines = []
    for n in range(1, draw(st.integers(1, 5)) + 1):
        ordered = Decimal(draw(st.integers(1, 5000)))
        status = draw(st.sampled_from(["accept", "backorder", "reject"]))
        confirmed = Decimal(0) if status == "reject" else Decimal(draw(st.integers(0, int(ordered))))
        lines.append(
            {
                "line_no": str(n),
                "item": {
                    "asin": draw(st.none() | text),
                    "ean": draw(st.none() | st.from_regex(r"\A[0-9]{13}\Z")),
                    "vendor_sku": draw(text),
                },
                "ordered_quantity": ordered,
                "uom": draw(st.sampled_from(["EA", "CA"])),
                "confirmed_quantity": confirmed,
                "unit_price": draw(money),
                "status": status,
                "reason": None if status == "accept" else draw(st.sampled_from(REASONS)),
                "backorder_date": draw(dates) if status == "backorder" else None,
            }
        )
    po_number = draw(text)
    return {
        "ack_number": draw(st.just(po_number) | text),
        "po_number": po_number,
        "ack_date": draw(dates),
        "order_date": draw(dates),
        "currency": draw(st.none() | st.sampled_from(["USD", "EUR", "GBP"])),
        "vendor_code": draw(st.none() | text),
        "ship_to_location": draw(st.none() | text),
        "lines": lines,
        "line_count": len(lines),
    }


@pytest.fixture(scope="module")
def registry() -> MappingRegistry:
    return MappingRegistry(default_root())


@pytest.mark.parametrize(
    ("standard", "version", "document"), [("x12", "004010", "855"), ("edifact", "D96A", "ORDRSP")]
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_render_write_parse_translate_gives_the_same_acknowledgement(
    registry, standard, version, document, data
) -> None:
    ack = PoAcknowledgement.model_validate(data.draw(acknowledgements()))
    mapping = registry.select(standard, version, document, "outbound")
    payload = write_documents(
        mapping, [ack], Envelope("ACMEVENDOR", "AMAZON", "7", datetime(2024, 5, 6, 7, 8))
    )
    parsed = parse(payload)
    assert parsed.ok, parsed.errors
    (tx,) = parsed.transactions
    assert registry.translate(tx).model_dump() == ack.model_dump()


@pytest.mark.parametrize(
    ("standard", "version", "document"), [("x12", "004010", "855"), ("edifact", "D96A", "ORDRSP")]
)
def test_a_line_without_the_po_cost_is_not_rendered(
    registry, samples_ack, standard, version, document
) -> None:
    samples_ack["lines"][0]["unit_price"] = None
    ack = PoAcknowledgement.model_validate(samples_ack)
    mapping = registry.select(standard, version, document, "outbound")
    with pytest.raises(TranslationError, match="unit_price"):
        write_documents(mapping, [ack], Envelope("ACMEVENDOR", "AMAZON", "7", datetime(2024, 5, 6, 7, 8)))


def test_amazon_line_codes_in_the_x12_855(registry, samples_ack) -> None:
    ack = PoAcknowledgement.model_validate(samples_ack)
    mapping = registry.select("x12", "004010", "855", "outbound")
    text_ = write_documents(mapping, [ack], Envelope("ACMEVENDOR", "AMAZON", "7", datetime(2024, 5, 6, 7, 8)))
    out = text_.decode() if isinstance(text_, bytes) else text_
    assert "BAK*00*AC*2LQ9Z8XA*20240301****2LQ9Z8XA*20240302~" in out
    assert "ACK*IA*6*CA~" in out
    assert "ACK*IB*4*CA*068*20240312" in out and out.count("TemporarilyUnavailable") == 1
    assert "ACK*IR*0*EA" in out and "ObsoleteProduct" in out


@pytest.fixture
def samples_ack() -> dict:
    return po_acknowledgement_dict()
