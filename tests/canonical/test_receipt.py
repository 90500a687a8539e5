"""Receipt: validation, the PO of each line, and the received sums per PO line and per carton."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from gateway.canonical import DOCUMENT_TYPES, Receipt


def test_a_realistic_receipt_validates(samples) -> None:
    receipt = Receipt.model_validate(samples["receipt"])
    assert DOCUMENT_TYPES["receipt"] is Receipt
    assert receipt.lines[1].damaged == 2


def test_received_per_po_line_adds_the_cartons_of_a_line(samples) -> None:
    receipt = Receipt.model_validate(samples["receipt"])
    assert receipt.received_by_po_line() == {("T3XB8ZQ4", "1"): Decimal(22), ("T3XB8ZQ4", "2"): Decimal(36)}


def test_received_per_sscc_counts_only_lines_with_a_carton(samples) -> None:
    receipt = Receipt.model_validate(samples["receipt"])
    assert receipt.received_by_sscc() == {
        "008400066471210012": Decimal(10),
        "008400066471210029": Decimal(12),
    }


def test_a_line_without_its_own_po_takes_the_documents(samples) -> None:
    data = samples["receipt"]
    data["lines"][2]["po_number"] = "OTHERPO1"
    receipt = Receipt.model_validate(data)
    assert [receipt.po_of(line) for line in receipt.lines] == ["T3XB8ZQ4", "T3XB8ZQ4", "OTHERPO1"]


def test_a_line_with_no_po_anywhere_is_refused(samples) -> None:
    data = {**samples["receipt"], "po_number": None}
    data["lines"][0]["po_number"] = "T3XB8ZQ4"
    with pytest.raises(ValidationError, match=r"receipt lines \[2, 3\] name no PO"):
        Receipt.model_validate(data)


def test_a_line_count_that_differs_is_refused(samples) -> None:
    with pytest.raises(ValidationError, match="line_count is 2 but the receipt has 3 lines"):
        Receipt.model_validate({**samples["receipt"], "line_count": 2})


def test_the_gs1_application_identifier_of_an_sscc_is_dropped(samples) -> None:
    data = samples["receipt"]
    data["lines"][0]["sscc"] = "00008400066471210012"
    assert Receipt.model_validate(data).lines[0].sscc == "008400066471210012"


def test_a_receipt_without_lines_is_refused(samples) -> None:
    with pytest.raises(ValidationError, match="lines"):
        Receipt.model_validate({**samples["receipt"], "lines": []})


_line = st.fixed_dictionaries(
    {
        "item": st.just({"asin": "B07XJ8C8F5"}),
        "quantity": st.integers(0, 10**6).map(Decimal),
        "line_no": st.sampled_from(["1", "2", "3"]),
    },
    optional={"sscc": st.sampled_from(["008400066471210012", "008400066471210029"])},
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(_line, min_size=1, max_size=8))
def test_no_unit_is_counted_twice_whichever_way_it_is_added_up(lines) -> None:
    receipt = Receipt.model_validate(
        {"receipt_id": "R1", "receipt_date": "2024-02-20", "po_number": "PO1", "lines": lines}
    )
    total = sum(line["quantity"] for line in lines)
    assert sum(receipt.received_by_po_line().values()) == total
    loose = sum(line["quantity"] for line in lines if "sscc" not in line)
    assert sum(receipt.received_by_sscc().values()) + loose == total
