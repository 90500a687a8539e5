"""The registry of document types and document_from_json."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gateway.canonical import DOCUMENT_TYPES, CanonicalDocument, document_from_json


def test_registry_keys_match_each_documents_type_field() -> None:
    assert set(DOCUMENT_TYPES) == {
        "purchase_order",
        "shipment",
        "invoice",
        "return_authorization",
        "receipt",
        "remittance",
        "po_acknowledgement",
        "availability",
    }
    for key, cls in DOCUMENT_TYPES.items():
        assert issubclass(cls, CanonicalDocument)
        assert cls.model_fields["type"].default == key
        assert {"partner", "source_message_id"} <= set(cls.model_fields)


@pytest.mark.parametrize("kind", sorted(DOCUMENT_TYPES))
def test_document_from_json_picks_the_class_by_type(samples, kind) -> None:
    doc = DOCUMENT_TYPES[kind].model_validate(samples[kind])
    back = document_from_json(doc.to_json_dict())
    assert type(back) is DOCUMENT_TYPES[kind]
    assert back == doc


@pytest.mark.parametrize("data", [{}, {"type": "order"}, {"type": 3}, []])
def test_document_from_json_refuses_an_unknown_type(data) -> None:
    with pytest.raises(ValueError, match="unknown document type"):
        document_from_json(data)


def test_document_from_json_reports_validation_errors(samples) -> None:
    data = DOCUMENT_TYPES["invoice"].model_validate(samples["invoice"]).to_json_dict()
    data["lines"][0]["quantity"] = "-1"
    with pytest.raises(ValidationError, match="quantity"):
        document_from_json(data)
