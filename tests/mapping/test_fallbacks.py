"""Optional elements a message leaves out: a line's position, the partner's default currency.

Both engines (the compiled scanners and the reference reader) must give the same result.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.edi import parse
from gateway.edi.model import Transaction
from gateway.mapping import MappingError, MappingRegistry, Translation, TranslationError, default_root
from gateway.mapping.inbound import translate_transaction
from gateway.mapping.loader import Mapping
from gateway.mapping.translate import translate_payload

GOLDEN = default_root() / "tests"


@pytest.fixture(scope="module")
def registry() -> MappingRegistry:
    return MappingRegistry(default_root())


def first_tx(text: str) -> Transaction:
    parsed = parse(text.encode())
    assert parsed.errors == []
    return parsed.transactions[0]


def both_ways(mapping: Mapping, tx: Transaction, defaults: dict | None = None) -> list[tuple[str, object]]:
    """The outcome of the compiled and of the reference reading (they must agree)."""
    out = []
    for reference in (False, True):
        notes: list = []
        assert mapping.model is not None
        options = {"mapping": mapping.file, "reference": reference, "defaults": defaults, "notes": notes}
        try:
            doc = translate_transaction(tx, mapping.fields, mapping.model, **options)  # type: ignore[arg-type]
            out.append(("ok", (doc.to_json_dict(), [n.message for n in notes])))  # type: ignore[attr-defined]
        except TranslationError as exc:
            out.append(("error", exc.describe()))
    assert out[0] == out[1]
    return out


def test_an_it1_without_it101_is_numbered_by_its_position(registry) -> None:
    text = (GOLDEN / "x12-810-erp.edi").read_text().replace("IT1*1*", "IT1**").replace("IT1*2*", "IT1**")
    tx = first_tx(text)
    mapping = registry.select("x12", tx.version, "810")
    kind, (doc, notes) = both_ways(mapping, tx)[0]  # type: ignore[misc]
    assert kind == "ok"
    assert [line["line_no"] for line in doc["lines"]] == ["1", "2"]
    assert notes == []


def test_a_stated_line_number_is_kept_and_only_the_empty_one_falls_back(registry) -> None:
    text = (GOLDEN / "x12-810-erp.edi").read_text().replace("IT1*1*", "IT1*10*").replace("IT1*2*", "IT1**")
    doc = registry.select("x12", "004010", "810").translate(first_tx(text))
    assert [line.line_no for line in doc.lines] == ["10", "2"]  # type: ignore[attr-defined]


def orders_without_cux() -> Transaction:
    text = (GOLDEN / "edifact-orders-amazon.edi").read_text()
    text = text.replace("CUX+2:EUR:9'", "").replace("UNT+21+1", "UNT+20+1")
    return first_tx(text)


def test_orders_without_cux_take_the_partner_default_with_a_note(registry) -> None:
    tx = orders_without_cux()
    mapping = registry.select("edifact", tx.version, "ORDERS")
    kind, (doc, notes) = both_ways(mapping, tx, {"currency": "EUR"})[0]  # type: ignore[misc]
    assert kind == "ok" and doc["currency"] == "EUR"
    assert notes == ["no CUX[01-1=2]01-2 or CUX01-2: currency EUR is the partner profile's default"]
    result = mapping.translate_noted(tx, defaults={"currency": "EUR"})
    assert isinstance(result, Translation)
    assert result.document.currency == "EUR"  # type: ignore[attr-defined]
    (note,) = result.notes
    assert note.field == "currency" and note.position is not None and note.position.tag == "UNH"
    assert "currency EUR" in note.describe()


def test_orders_without_cux_and_without_a_partner_default_fail_naming_cux(registry) -> None:
    tx = orders_without_cux()
    mapping = registry.select("edifact", tx.version, "ORDERS")
    kind, message = both_ways(mapping, tx)[0]
    assert kind == "error"
    assert "field currency: required value missing: no CUX[01-1=2]01-2 or CUX01-2" in str(message)
    assert "the partner profile has no default currency" in str(message)


def test_a_stated_currency_is_never_replaced_and_gives_no_note(registry) -> None:
    tx = first_tx((GOLDEN / "edifact-orders-amazon.edi").read_text())
    result = registry.select("edifact", tx.version, "ORDERS").translate_noted(
        tx, defaults={"currency": "USD"}
    )
    assert result.document.currency == "EUR" and result.notes == ()  # type: ignore[attr-defined]


def test_translate_payload_reports_notes_as_warnings(registry, tmp_path: Path) -> None:
    tx_text = (GOLDEN / "edifact-orders-amazon.edi").read_text()
    path = tmp_path / "po.edi"
    path.write_text(tx_text.replace("CUX+2:EUR:9'", "").replace("UNT+21+1", "UNT+20+1"))
    result = translate_payload(path, registry, defaults={"currency": "EUR"})
    assert result.errors == [] and len(result.documents) == 1
    assert len(result.warnings) == 1 and "currency EUR" in result.warnings[0]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("po_number: {path: BEG03, fallback: index}", "fallback: index counts list items"),
        ("po_number: {path: BEG03, default: X, fallback: partner}", "fallback: goes with a path"),
        ("po_number: {path: BEG03, fallback: somewhere}", "Input should be 'index' or 'partner'"),
    ],
)
def test_fallback_rules_are_checked_at_load(write, models, rule: str, message: str) -> None:
    text = (
        "version: 1\nstandard: x12\ndocument: '850'\ndirection: inbound\nversions: ['004010']\n"
        f"canonical: order\nfields:\n  {rule}\n"
    )
    path = write("x.yaml", text)
    with pytest.raises(MappingError) as info:
        MappingRegistry(path.parent, models=models).get("x")
    ours = [p for p in info.value.problems if p.line == 8]
    assert len(ours) == 1 and message in ours[0].message


def _rules(fields) -> list[tuple[str, object]]:
    """Every value rule under ``fields`` (dotted name, its fallback)."""
    from gateway.mapping.specs import ValueSpec

    out: list[tuple[str, object]] = []
    for spec in fields:
        if isinstance(spec, ValueSpec):
            out.append((spec.name, spec.fallback))
        else:
            out.extend((f"{spec.name}.{name}", fb) for name, fb in _rules(spec.fields))
    return out


def test_the_fallback_walk_keeps_every_fallback_rule_and_nothing_else(registry) -> None:
    """What the engine walks after reading (cut once per mapping) holds each rule with a
    ``fallback:`` of the mapping, in order, and no other rule; a mapping without one walks nothing."""
    from gateway.mapping.fallbacks import fallback_fields

    seen_some = seen_none = False
    for path in sorted(default_root().glob("*-in.yaml")):
        mapping = registry.get(path.stem)
        every = _rules(mapping.fields)
        cut = _rules(fallback_fields(mapping.fields))
        assert cut == [(name, fb) for name, fb in every if fb is not None], path.name
        seen_some |= bool(cut)
        seen_none |= not cut
    assert seen_some and seen_none


def test_a_mapping_translates_the_same_with_its_cached_fallback_walk(registry) -> None:
    text = (GOLDEN / "x12-810-erp.edi").read_text().replace("IT1*1*", "IT1**")
    tx = first_tx(text)
    mapping = registry.select("x12", tx.version, "810")
    first = mapping.translate(tx).model_dump()  # type: ignore[attr-defined]
    again = mapping.translate(tx).model_dump()  # the plan's walk is cut by now
    assert first == again == translate_transaction(tx, mapping.fields, mapping.model).model_dump()  # type: ignore[arg-type]
    assert [line["line_no"] for line in first["lines"]] == ["1", "2"]
