"""Loading: every kind of mapping problem names file, line and key; overlays change a base."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.mapping import MappingError, TranslationError, load_mapping

GOOD = """
version: 1
standard: x12
document: "850"
direction: inbound
versions: ["004010"]
canonical: order
codes:
  order_type: {NE: new}
fields:
  po_number: BEG03
  order_date: {path: BEG05, convert: "date(CCYYMMDD)"}
  order_type: {path: BEG02, code: order_type}
  lines:
    each: PO1
    fields:
      line_no: {path: PO101, convert: int}
      quantity: {path: PO102, convert: decimal}
      item.asin: PO1[id=BP]
"""


def problems(write: Callable[[str, str], Path], models: dict, text: str, name: str = "m.yaml") -> list:
    path = write(name, text)
    with pytest.raises(MappingError) as err:
        load_mapping(path, root=path.parent, models=models)
    return err.value.problems


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first line containing ``needle`` in the written (dedented) file."""
    lines = text.lstrip().splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


def test_good_mapping_loads(write, models) -> None:
    path = write("m.yaml", GOOD)
    mapping = load_mapping(path, root=path.parent, models=models)
    assert (mapping.standard, mapping.document, mapping.versions) == ("x12", "850", ["004010"])


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        (
            "  po_number: BEG03",
            "  po_number: {path: BEG03, requried: true}",
            "po_number",
            "unknown key 'requried'",
        ),
        ("direction: inbound", "direction: inbound\nflavour: sweet", "flavour", "unknown key 'flavour'"),
        ("  po_number: BEG03", "  po_number: BEG3", "po_number", "is not a path"),
        ("      item.asin: PO1[id=BP]", "      item.asin: PO4[id=BP]", "item.asin", "no product id pairs"),
        (
            '{path: BEG05, convert: "date(CCYYMMDD)"}',
            '{path: BEG05, convert: "dat(CCYYMMDD)"}',
            "order_date",
            "unknown function 'dat'",
        ),
        (
            '{path: BEG05, convert: "date(CCYYMMDD)"}',
            '{path: BEG05, convert: "date(DDMMYY)"}',
            "order_date",
            "date takes one of",
        ),
        (
            "{path: BEG02, code: order_type}",
            "{path: BEG02, code: order_kind}",
            "code: order_kind",
            "unknown code list 'order_kind'",
        ),
        ("  po_number: BEG03", "  po_numbr: BEG03", "po_numbr", "has no field 'po_numbr'"),
        ("      quantity: {path: PO102, convert: decimal}", "      qty: PO102", "qty", "has no field 'qty'"),
        ("canonical: order", "canonical: orders", "canonical", "unknown canonical document 'orders'"),
        ("    each: PO1", "    each: PO101", "each: PO1", "must name a segment"),
        ("    each: PO1", "    each: PO1\n    level: I", "each: PO1", "one of within/each/level"),
    ],
)
def test_each_kind_of_problem_names_file_line_and_key(write, models, old, new, needle, message) -> None:
    text = GOOD.replace(old, new)
    assert text != GOOD
    found = problems(write, models, text)
    assert any(message in p.message for p in found), found
    hit = next(p for p in found if message in p.message)
    assert hit.file.endswith("m.yaml")
    assert hit.line == line_of(text, needle), (hit, text)


def test_required_canonical_field_nobody_fills(write, models) -> None:
    text = GOOD.replace("  po_number: BEG03\n", "")
    found = problems(write, models, text)
    assert any("Order.po_number is not filled" in p.message for p in found)
    assert any("Line.line_no" not in p.message for p in found)


def test_required_field_inside_a_loop(write, models) -> None:
    text = GOOD.replace("      line_no: {path: PO101, convert: int}\n", "")
    found = problems(write, models, text)
    hit = next(p for p in found if "Line.line_no is not filled" in p.message)
    assert hit.key == "lines"
    assert hit.line == line_of(text, "    fields:")


def test_every_problem_is_reported_at_once(write, models) -> None:
    text = GOOD.replace("BEG03", "BEG3").replace("code: order_type", "code: nope")
    assert len(problems(write, models, text)) >= 2


def test_shape_mismatch(write, models) -> None:
    text = GOOD.replace("  po_number: BEG03", "  po_number: BEG03\n  ship_to: N104")
    assert any("give it 'fields:'" in p.message for p in problems(write, models, text))
    text = GOOD.replace("    each: PO1", "    within: PO1")
    assert any("is a list model" in p.message for p in problems(write, models, text))


def test_bad_yaml_names_the_line(write, models) -> None:
    text = GOOD.replace("  po_number: BEG03", "  po_number: [BEG03")
    found = problems(write, models, text)
    assert found[0].line is not None and "not valid YAML" in found[0].message


def test_duplicate_key_is_a_problem(write, models) -> None:
    text = GOOD.replace("  po_number: BEG03", "  po_number: BEG03\n  po_number: BEG02")
    found = problems(write, models, text)
    assert "duplicate key" in found[0].message
    assert found[0].line == line_of(text, "po_number: BEG02")


def test_wrong_version_and_missing_keys(write, models) -> None:
    text = GOOD.replace("version: 1", "version: 2").replace('versions: ["004010"]\n', "")
    found = problems(write, models, text)
    keys = {p.key for p in found}
    assert {"version", "versions"} <= keys


def test_shared_code_lists(write, models) -> None:
    write("codes/common.yaml", "version: 1\ncodes:\n  order_kind: {NE: new, RO: rush}\n")
    text = GOOD.replace("code: order_type", "code: order_kind")
    path = write("m.yaml", text)
    assert load_mapping(path, root=path.parent, models=models).fields


def test_keys_are_read_as_written(write, models, tx) -> None:
    """YAML would make the unquoted key 00 the number 0 and no the boolean false: in a mapping
    file a key is the text the coordinator wrote, so a purpose code 00 is found."""
    text = GOOD.replace("order_type: {NE: new}", "order_type: {NE: new, 00: new, no: rush, 1.50: new}")
    path = write("m.yaml", text)
    mapping = load_mapping(path, root=path.parent, models=models)
    segments = [
        ["ST", "850", "1"],
        ["BEG", "", "00", "PO1", "", "20240115"],
        ["PO1", "1", "2"],
        ["SE", "4", "1"],
    ]
    assert mapping.translate(tx(segments)).order_type == "new"
    segments[1][2] = "no"
    assert mapping.translate(tx(segments)).order_type == "rush"
    segments[1][2] = "0"
    with pytest.raises(TranslationError, match="'0' is not in code list order_type"):
        mapping.translate(tx(segments))


# --- overlays ----------------------------------------------------------------------------

OVERLAY = """
version: 1
overlay: base-850
description: Partner X sends its SKU as VP and order types we do not know
codes:
  order_type: {XX: new}
fields:
  lines.item.asin: PO1[id=VP]
  currency: {const: EUR}
remove: [order_type]
"""


def test_overlay_changes_and_adds_without_copying(write, models, tx) -> None:
    write("base-850.yaml", GOOD)
    overlay = write("overlays/partner-x.yaml", OVERLAY)
    base = load_mapping("base-850", root=overlay.parent.parent, models=models)
    over = load_mapping("base-850", [overlay], root=overlay.parent.parent, models=models)
    segments = [
        ["ST", "850", "1"],
        ["BEG", "00", "XX", "PO1", "", "20240101"],
        ["PO1", "1", "2", "EA", "1", "", "BP", "ASIN", "VP", "SKU"],
        ["SE", "4", "1"],
    ]
    doc = over.translate(tx(segments))
    assert doc.lines[0].item.asin == "SKU"
    assert doc.currency == "EUR"
    assert doc.order_type is None
    assert over.overlays == [str(overlay)]
    assert (
        base.translate(
            tx([s if s[0] != "BEG" else ["BEG", "00", "NE", "PO1", "", "20240101"] for s in segments])
        )
        .lines[0]
        .item.asin
        == "ASIN"
    )


@pytest.mark.parametrize("shared", [True, False], ids=["shared list", "the base file's own list"])
def test_an_overlay_code_list_adds_to_the_list_it_names(write, models, tx, shared) -> None:
    base = GOOD.replace("order_type: {NE: new}", "order_type: {NE: new, RO: rush}")
    if shared:  # the list lives in codes/*.yaml, not in the base file
        write("codes/common.yaml", "version: 1\ncodes:\n  order_kind: {NE: new, RO: rush}\n")
        base = base.replace("code: order_type", "code: order_kind").replace(
            "  order_type: {NE: new, RO: rush}\n", ""
        )
        base = base.replace("codes:\n", "")
    write("base-850.yaml", base)
    name = "order_kind" if shared else "order_type"
    overlay = write(
        "overlays/partner-z.yaml", f"version: 1\noverlay: base-850\ncodes:\n  {name}: {{ZR: rush, NE: new}}\n"
    )
    over = load_mapping("base-850", [overlay], root=overlay.parent.parent, models=models)

    def order_type(code: str) -> str | None:
        segments = [["ST", "850", "1"], ["BEG", "00", code, "PO1", "", "20240101"], ["SE", "3", "1"]]
        return over.translate(tx(segments)).order_type

    assert (order_type("ZR"), order_type("RO"), order_type("NE")) == ("rush", "rush", "new")


def test_overlay_problems_point_into_the_overlay(write, models) -> None:
    write("base-850.yaml", GOOD)
    text = OVERLAY.replace("lines.item.asin: PO1[id=VP]", "lines.item.asin: PO1[id=VP\n  nolines.x: BEG01")
    overlay = write("overlays/partner-x.yaml", text.replace("PO1[id=VP\n", "PO1[id=VP]\n"))
    with pytest.raises(MappingError) as err:
        load_mapping("base-850", [overlay], root=overlay.parent.parent, models=models)
    hit = err.value.problems[0]
    assert hit.file.endswith("partner-x.yaml")
    assert "no group 'nolines'" in hit.message
    assert hit.line == line_of(text.replace("PO1[id=VP\n", "PO1[id=VP]\n"), "nolines.x")


def test_overlay_compile_problem_points_into_the_overlay(write, models) -> None:
    write("base-850.yaml", GOOD)
    text = OVERLAY.replace("PO1[id=VP]", "PO1[id=ZZ]02")
    overlay = write("overlays/partner-x.yaml", text)
    with pytest.raises(MappingError) as err:
        load_mapping("base-850", [overlay], root=overlay.parent.parent, models=models)
    hit = err.value.problems[0]
    assert hit.file.endswith("partner-x.yaml") and hit.line == line_of(text, "lines.item.asin")


@pytest.mark.parametrize("rule", ["BEG01", "{path: BEG01}"], ids=["shorthand", "rule"])
def test_an_overlay_rule_for_a_field_that_does_not_exist_is_blamed_on_the_overlay(
    write, models, rule
) -> None:
    write("base-850.yaml", GOOD)
    text = f"version: 1\noverlay: base-850\nfields:\n  lines.colour: {rule}\n"
    overlay = write("overlays/partner-x.yaml", text)
    with pytest.raises(MappingError) as err:
        load_mapping("base-850", [overlay], root=overlay.parent.parent, models=models)
    (hit,) = err.value.problems
    assert (Path(hit.file).name, hit.line, hit.key) == ("partner-x.yaml", 4, "lines.colour")
    assert "has no field 'colour'" in hit.message


def test_removing_a_required_field_is_blamed_on_the_removal(write, models) -> None:
    write("base-850.yaml", GOOD)
    text = "version: 1\noverlay: base-850\nremove:\n  - order_type\n  - po_number\n  - order_date\n"
    overlay = write("overlays/partner-x.yaml", text)
    with pytest.raises(MappingError) as err:
        load_mapping("base-850", [overlay], root=overlay.parent.parent, models=models)
    found = {(Path(p.file).name, p.line, p.key, p.message) for p in err.value.problems}
    assert found == {  # order_type is optional: removing it is fine
        (
            "partner-x.yaml",
            5,
            "remove",
            "required canonical field Order.po_number is not filled by any rule once removed",
        ),
        (
            "partner-x.yaml",
            6,
            "remove",
            "required canonical field Order.order_date is not filled by any rule once removed",
        ),
    }


def test_overlay_of_unknown_base(write, models) -> None:
    path = write("o.yaml", OVERLAY.replace("base-850", "missing-base"))
    with pytest.raises(MappingError, match="no base mapping named 'missing-base'"):
        load_mapping(path, root=path.parent, models=models)


def test_overlay_removing_unknown_field(write, models) -> None:
    write("base-850.yaml", GOOD)
    overlay = write("o.yaml", OVERLAY.replace("remove: [order_type]", "remove: [lines.colour]"))
    with pytest.raises(MappingError, match=r"no field 'lines\.colour'"):
        load_mapping("base-850", [overlay], root=overlay.parent, models=models)


BAD_OVERLAY = """
version: 1
overlay: base-850
fields:
  order_type: {path: BEG02, code: no_such_list}
  lines.unit_price: {path: "PO1[01=]04"}
  parties.name: N102
remove: [lines.colour]
"""


@pytest.mark.parametrize("as_partner", [True, False], ids=["partner-overlay", "versioned-overlay"])
def test_every_problem_of_an_overlay_is_reported_at_once(write, models, as_partner) -> None:
    """A remove of a missing field does not hide the overlay's other problems: the group it
    cannot reach, the path it cannot read and the code list nobody defined, each with its line."""
    write("base-850.yaml", GOOD)
    overlay = write("o.yaml", BAD_OVERLAY)
    with pytest.raises(MappingError) as err:
        if as_partner:
            load_mapping("base-850", [overlay], root=overlay.parent, models=models)
        else:
            load_mapping(overlay, root=overlay.parent, models=models)
    found = {(Path(p.file).name, p.line, p.message) for p in err.value.problems}
    assert found == {
        ("o.yaml", 4, "unknown code list 'no_such_list' (known: order_type)"),
        ("o.yaml", 5, "'PO1[01=]04': filter [01=] must look like [01=ST], [01!=22] or [id=BP]"),
        ("o.yaml", 6, "the base mapping has no group 'parties' to reach 'parties.name'"),
        ("o.yaml", 7, "the base mapping has no field 'lines.colour'"),
    }


def test_versioned_overlay_is_a_mapping_of_its_own(write, models) -> None:
    write("base-850.yaml", GOOD)
    path = write("x12-005010-850-in.yaml", "version: 1\noverlay: base-850\nversions: ['005010']\n")
    mapping = load_mapping(path, root=path.parent, models=models)
    assert mapping.versions == ["005010"]
