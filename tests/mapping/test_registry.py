"""Selecting the mapping for a transaction, and a broken mapping failing only its messages."""

from __future__ import annotations

import pytest

from gateway.mapping import MappingError, MappingRegistry, TranslationError
from gateway.mapping.versions import normalize_version

BASE = """
version: 1
standard: x12
document: "850"
direction: inbound
versions: ["004010"]
canonical: order
fields:
  po_number: BEG03
  order_date: {path: BEG05, convert: "date(CCYYMMDD)"}
  lines:
    each: PO1
    fields:
      line_no: {path: PO101, convert: int}
      quantity: {path: PO102, convert: decimal}
"""

SEGMENTS = [
    ["ST", "850", "1"],
    ["BEG", "00", "NE", "PO7", "", "20240101"],
    ["PO1", "1", "2"],
    ["SE", "4", "1"],
]


@pytest.fixture
def registry(write, models) -> MappingRegistry:
    write("x12-004010-850-in.yaml", BASE)
    write(
        "x12-005010-850-in.yaml",
        "version: 1\noverlay: x12-004010-850-in\nversions: ['005010']\n"
        "fields:\n  po_number: {path: BEG03, convert: lower}\n",
    )
    write(
        "overlays/acme.yaml", "version: 1\noverlay: x12-004010-850-in\nfields:\n  po_number: {const: ACME}\n"
    )
    broken = write(
        "edifact-d96a-orders-in.yaml",
        BASE.replace("x12", "edifact")
        .replace('"850"', "ORDERS")
        .replace('"004010"', "D96A")
        .replace("BEG05", "DTM01-2")
        .replace("PO1", "LIN")
        .replace("BEG03", "BGM99x"),  # the one problem: a path that is no path
    )
    return MappingRegistry(broken.parent, models=models)


def test_select_by_standard_version_document(registry) -> None:
    assert registry.select("x12", "004010", "850").name == "x12-004010-850-in"
    assert registry.select("x12", "004010VICS", "850").name == "x12-004010-850-in"
    assert registry.select("x12", "005010", "850").name == "x12-005010-850-in"
    assert registry.find("x12", "003010", "850") is None
    assert registry.find("x12", "004010", "850", "outbound") is None


def test_translate_uses_the_version_specific_mapping(registry, tx) -> None:
    assert registry.translate(tx(SEGMENTS, version="004010")).po_number == "PO7"
    assert registry.translate(tx(SEGMENTS, version="005010")).po_number == "po7"


def test_partner_overlay_applies_only_to_its_base(registry, tx) -> None:
    assert registry.translate(tx(SEGMENTS), overlays=["acme"]).po_number == "ACME"
    # acme overlays the 4010 mapping only: the 5010 one ignores it
    assert registry.translate(tx(SEGMENTS, version="005010"), overlays=["acme"]).po_number == "po7"


def test_broken_mapping_fails_its_messages_only(registry, tx) -> None:
    orders = tx(
        [["UNH", "1", ["ORDERS", "D", "96A", "UN"]], ["BGM", "220", "X"], ["UNT", "3", "1"]],
        "edifact",
        "D96A",
    )
    with pytest.raises(TranslationError, match="mapping problem") as err:
        registry.translate(orders)
    assert "BGM99x" in str(err.value)
    assert registry.translate(tx(SEGMENTS)).po_number == "PO7"
    with pytest.raises(MappingError):
        registry.get("edifact-d96a-orders-in")


def test_no_mapping_is_a_translation_error(registry, tx) -> None:
    with pytest.raises(TranslationError, match="no inbound mapping for x12 850 version 003010"):
        registry.translate(tx(SEGMENTS, version="003010"))


def test_check_all_lists_problems_with_lines(registry) -> None:
    problems = registry.check_all()
    assert len(problems) == 1
    assert problems[0].file.endswith("edifact-d96a-orders-in.yaml")
    assert problems[0].line == 8  # po_number: BGM99x


def test_version_normalisation() -> None:
    assert normalize_version("D:96A") == normalize_version("d96a") == "D96A"


def test_two_files_for_one_document_fail_its_messages_and_are_reported(write, models, tx) -> None:
    write("x12-004010-850-in.yaml", BASE)
    write("a-copy.yaml", BASE.replace("BEG03", "BEG02").replace('["004010"]', '["004010", "005010"]'))
    invoice = BASE.replace('"850"', '"810"')
    write("x12-004010-810-in.yaml", invoice.replace('["004010"]', '["004010*"]'))
    last = write("x12-005010-810-in.yaml", invoice.replace('["004010"]', '["005010"]'))
    registry = MappingRegistry(last.parent, models=models)

    problems = registry.check_all()
    assert [(p.file.rsplit("/", 1)[-1], p.key) for p in problems] == [("x12-004010-850-in.yaml", "versions")]
    assert "mapped as specifically by a-copy.yaml" in problems[0].message
    with pytest.raises(TranslationError, match=r"a-copy\.yaml and x12-004010-850-in\.yaml both map x12 850"):
        registry.translate(tx(SEGMENTS))
    # a version only one of them maps, and the other documents, still translate
    assert registry.translate(tx(SEGMENTS, version="005010")).po_number == "NE"
    assert registry.select("x12", "005010", "810").name == "x12-005010-810-in"


def test_an_overlay_can_build_on_a_partner_overlay(registry, write, tx) -> None:
    write(
        "overlays/acme-east.yaml",
        "version: 1\noverlay: acme\nfields:\n  order_date: {const: '2024-02-02'}\n",
    )
    fresh = MappingRegistry(registry.root, models=registry.models)
    for overlays in (["acme-east"], ["acme", "acme-east"]):
        doc = fresh.translate(tx(SEGMENTS), overlays=overlays)
        assert (doc.po_number, str(doc.order_date)) == ("ACME", "2024-02-02")  # acme's rule, then its own
    assert fresh.translate(tx(SEGMENTS)).po_number == "PO7"
    assert len(fresh.check_all()) == 1  # only the broken ORDERS mapping of the fixture


def test_a_problem_of_the_base_is_reported_once_in_the_base_not_in_its_overlays(registry) -> None:
    base = registry.root / "x12-004010-850-in.yaml"
    base.write_text(base.read_text().replace("canonical: order\n", "canonical: order\nfoo: 1\n"))
    problems = [
        p for p in MappingRegistry(registry.root, models=registry.models).check_all() if p.key == "foo"
    ]
    assert [(p.file, p.line, p.message) for p in problems] == [(str(base), 7, "unknown key 'foo'")]


def test_a_range_serves_every_version_in_it_and_the_most_specific_file_wins(write, models, tx) -> None:
    write("x12-004010-850-in.yaml", BASE.replace('["004010"]', '["004010-004060"]'))
    write("x12-004050-850-in.yaml", BASE.replace("BEG03", "BEG02").replace('["004010"]', '["004050"]'))
    last = write("any-850.yaml", BASE.replace("BEG03", "BEG01").replace('["004010"]', '["00*"]'))
    registry = MappingRegistry(last.parent, models=models)
    assert registry.check_all() == []
    picked = {v: registry.select("x12", v, "850").name for v in ("004010", "004030VICS", "004050", "004060")}
    assert picked == {
        "004010": "x12-004010-850-in",
        "004030VICS": "x12-004010-850-in",
        "004050": "x12-004050-850-in",  # exact beats the range
        "004060": "x12-004010-850-in",
    }
    assert registry.select("x12", "005010", "850").name == "any-850"  # only the pattern serves it
    assert registry.translate(tx(SEGMENTS, version="004050")).po_number == "NE"


def test_a_narrower_range_beats_a_wider_one(write, models) -> None:
    write("wide.yaml", BASE.replace('["004010"]', '["003010-005010"]'))
    last = write("narrow.yaml", BASE.replace('["004010"]', '["004010-004060"]'))
    registry = MappingRegistry(last.parent, models=models)
    assert registry.problems == []
    assert registry.select("x12", "004020", "850").name == "narrow"
    assert registry.select("x12", "003050", "850").name == "wide"


def test_edifact_directories_as_a_list_and_a_range(write, models) -> None:
    orders = BASE.replace("x12", "edifact").replace('"850"', "ORDERS").replace("BEG05", "DTM01-2")
    orders = orders.replace("PO1", "LIN").replace("BEG03", "BGM02")
    last = write("orders.yaml", orders.replace('["004010"]', '["D96A", "D97B", "D01B"]'))
    write("orders-new.yaml", orders.replace('["004010"]', '["D02A-D10B"]'))
    registry = MappingRegistry(last.parent, models=models)
    assert registry.check_all() == []
    assert [registry.select("edifact", v, "ORDERS").name for v in ("D:96A", "D01B", "D10A")] == [
        "orders",
        "orders",
        "orders-new",
    ]
    assert registry.find("edifact", "D98A", "ORDERS") is None


@pytest.mark.parametrize(
    ("versions", "message"),
    [
        ('["D96A"]', "'D96A' is no x12 version"),
        ('["4010"]', "'4010' is no x12 version"),
        ('["004060-004010"]', "runs downwards"),
        ('["004010-D96A"]', "'004010-D96A' is no x12 version"),
    ],
)
def test_versions_are_checked_at_load_with_their_line(write, models, versions: str, message: str) -> None:
    path = write("x12-004010-850-in.yaml", BASE.replace('["004010"]', versions))
    with pytest.raises(MappingError) as info:
        MappingRegistry(path.parent, models=models).get("x12-004010-850-in")
    problems = info.value.problems
    line = path.read_text().splitlines().index(f"versions: {versions}") + 1
    assert [(p.line, p.key) for p in problems] == [(line, "versions")]
    assert message in problems[0].message
