"""``translate_payload`` with partner overlays, and what the registry logs when one is missing."""

from __future__ import annotations

import importlib.util
import logging

import pytest

from gateway.mapping import MappingRegistry, default_root
from gateway.mapping.translate import translate_payload

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("gateway.edi.x12.reader") is None
    or importlib.util.find_spec("gateway.canonical") is None,
    reason="readers/canonical not built yet",
)

SAMPLE = default_root() / "tests" / "x12-850-amazon.edi"


def test_a_missing_overlay_is_named_in_the_log_and_the_error_not_the_base_as_broken(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="gateway.mapping.registry"):
        result = translate_payload(SAMPLE, MappingRegistry(), ["nosuch-overlay"], "acme")
    assert result.documents == []
    (error,) = result.errors
    assert "850 004010 (overlays nosuch-overlay of partner acme): " in error
    assert "no mapping named 'nosuch-overlay'" in error
    (record,) = [r for r in caplog.records if r.name == "gateway.mapping.registry"]
    message = record.getMessage()
    assert message.startswith("overlay 'nosuch-overlay' not found under ")
    assert "partner profile" in message and "x12-004010-850-in" in message
    assert "is broken" not in message


def test_a_broken_base_mapping_is_still_logged_as_broken(tmp_path, caplog) -> None:
    import shutil

    shutil.copytree(default_root(), tmp_path / "m")
    base = tmp_path / "m" / "x12-004010-850-in.yaml"
    base.write_text(base.read_text().replace("fields:", "fieldz:", 1))
    with caplog.at_level(logging.WARNING, logger="gateway.mapping.registry"):
        result = translate_payload(SAMPLE, MappingRegistry(tmp_path / "m"), ["example-partner-850"], "acme")
    assert result.errors and not result.documents
    assert any("is broken" in r.getMessage() for r in caplog.records)
    assert not any("not found" in r.getMessage() for r in caplog.records)


def test_overlays_of_a_partner_apply_and_the_partner_is_recorded() -> None:
    result = translate_payload(SAMPLE, MappingRegistry(), ["example-partner-850"], "acme")
    assert result.errors == []
    ((_, doc),) = result.documents
    assert doc.partner == "acme"
    assert doc.lines[0].list_price is None  # the overlay removes it
