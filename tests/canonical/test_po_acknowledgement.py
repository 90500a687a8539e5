"""The canonical PO acknowledgement: its line rules and the confirmed quantities it states."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from gateway.canonical import DOCUMENT_TYPES, PoAcknowledgement, document_from_json


def test_registered_under_its_type_key() -> None:
    assert DOCUMENT_TYPES["po_acknowledgement"] is PoAcknowledgement


def test_confirmed_by_line_adds_the_parts_and_skips_rejects(samples) -> None:
    ack = PoAcknowledgement.model_validate(samples["po_acknowledgement"])
    assert ack.confirmed_by_line() == {"1": Decimal(10)}
    assert document_from_json(ack.to_json_dict()) == ack


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": "reject", "confirmed_quantity": Decimal(1), "reason": "other"}, "confirms nothing"),
        ({"status": "backorder", "reason": "temporarily_unavailable"}, "backorder_date"),
        ({"status": "reject", "confirmed_quantity": Decimal(0)}, "needs its reason"),
        ({"reason": "not_a_code"}, "reason"),
    ],
)
def test_inconsistent_lines_are_refused(samples, change, message) -> None:
    data = samples["po_acknowledgement"]
    data["lines"][0].update(change)
    with pytest.raises(ValidationError, match=message):
        PoAcknowledgement.model_validate(data)


def test_line_count_must_match(samples) -> None:
    data = samples["po_acknowledgement"]
    data["line_count"] = 2
    with pytest.raises(ValidationError, match="line_count is 2"):
        PoAcknowledgement.model_validate(data)
