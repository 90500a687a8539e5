"""The outbound engine: canonical -> body segments, with loops, counts, totals and overlays."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.mapping import MappingError, TranslationError, load_mapping
from gateway.mapping.outbound import FieldRef

OUT = """
version: 1
standard: x12
document: "850"
direction: outbound
versions: ["004010"]
canonical: order
message_version: "004010"
codes:
  order_type: {NE: new, RO: rush}
segments:
  - BEG:
      BEG01: {const: "00"}
      BEG02: {field: order_type, code: order_type, default: NE}
      BEG03: {field: po_number, required: true}
      BEG05: {field: order_date, convert: "date(CCYYMMDD)"}
  - CUR: {CUR01: {const: BY}, CUR02: currency}
  - id: ship_to
    when: ship_to
    N1: {N101: {const: ST}, N102: ship_to.name, N103: {const: "92"}, N104: ship_to.code}
  - each: refs
    REF: {REF01: {const: VR}, REF02: {field: value}}
  - each: lines
    segments:
      - PO1:
          PO101: {index: true}
          PO102: {field: quantity, required: true}
          PO103: uom
          PO104: {field: unit_price, convert: "decimal(2)"}
          PO106: {const: BP, with: PO107}
          PO107: item.asin
      - when: {field: /order_type, is: rush}
        REF: {REF01: {const: RU}, REF02: {field: /po_number}}
  - CTT: {CTT01: {count: lines}, CTT02: {sum: lines.quantity}}
  - AMT: {AMT01: {const: TT}, AMT02: {sum: "lines.quantity*unit_price", convert: "implied(2)"}}
"""


def order(**changes: object) -> dict:
    doc = {
        "po_number": "PO1",
        "order_date": date(2024, 3, 1),
        "order_type": "rush",
        "currency": "USD",
        "ship_to": {"code": "ABE2", "name": "Amazon"},
        "refs": [],
        "lines": [
            {
                "line_no": 1,
                "quantity": Decimal(2),
                "uom": "EA",
                "unit_price": Decimal("1.5"),
                "item": {"asin": "A1"},
            },
            {
                "line_no": 2,
                "quantity": Decimal(3),
                "uom": "CA",
                "unit_price": Decimal("10"),
                "item": {"asin": "A2"},
            },
        ],
    }
    doc.update(changes)
    return doc


@pytest.fixture
def mapping(write, models):
    path = write(
        "x12-004010-850-out.yaml",
        OUT.replace("  - each: refs\n    REF: {REF01: {const: VR}, REF02: {field: value}}\n", ""),
    )
    return load_mapping(path, root=path.parent, models=models)


def test_render_loops_counts_and_totals(mapping, models) -> None:
    tx = mapping.render(models["order"].model_validate(order()), "0007")
    assert (tx.type, tx.control_number, tx.version) == ("850", "0007", "004010")
    assert tx.segments == [
        ["BEG", "00", "RO", "PO1", "", "20240301"],
        ["CUR", "BY", "USD"],
        ["N1", "ST", "Amazon", "92", "ABE2"],
        ["PO1", "1", "2", "EA", "1.50", "", "BP", "A1"],
        ["REF", "RU", "PO1"],
        ["PO1", "2", "3", "CA", "10.00", "", "BP", "A2"],
        ["REF", "RU", "PO1"],
        ["CTT", "2", "5"],
        ["AMT", "TT", "3300"],
    ]


def test_absent_values_drop_segments_and_trailing_elements(mapping, models) -> None:
    doc = order(ship_to=None, order_type="new", currency="USD")
    doc["lines"] = [dict(doc["lines"][0], unit_price=None, item={})]
    segs = mapping.render(models["order"].model_validate(doc)).segments
    assert [s[0] for s in segs] == ["BEG", "CUR", "PO1", "CTT", "AMT"]
    assert segs[2] == ["PO1", "1", "2", "EA"]
    assert segs[4] == ["AMT", "TT", "0"]


def test_required_missing_names_the_field(write, models) -> None:
    path = write(
        "o.yaml",
        OUT.replace("  - each: refs\n    REF: {REF01: {const: VR}, REF02: {field: value}}\n", "").replace(
            "BEG05: {field: order_date,", "BEG05: {required: true, field: partner,"
        ),
    )
    mapping = load_mapping(path, root=path.parent, models=models)
    with pytest.raises(TranslationError) as err:
        mapping.render(models["order"].model_validate(order()))
    assert err.value.field == "partner" and "BEG05" in err.value.message


def test_unknown_code_value_is_a_translation_error(mapping) -> None:
    with pytest.raises(TranslationError, match="no code in code list order_type"):
        mapping.render(order(order_type="consigned"))


def test_edifact_composites(write, models) -> None:
    text = """
    version: 1
    standard: edifact
    document: ORDERS
    direction: outbound
    versions: [D96A]
    canonical: order
    message_version: [D, 96A, UN, EAN008]
    segments:
      - BGM: {BGM01: {const: "220"}, BGM02: po_number, BGM03: {const: "9"}}
      - DTM: {DTM01-1: {const: "137"}, DTM01-2: {field: order_date, convert: "date(dtm)"}, DTM01-3: {const: "102"}}
      - each: lines
        segments:
          - LIN: {LIN01: {index: true}, LIN03-1: item.ean, LIN03-2: {const: EN, with: LIN03-1}}
          - QTY: {QTY01-1: {const: "21"}, QTY01-2: quantity}
      - UNS: {UNS01: {const: S}}
      - CNT: {CNT01-1: {const: "2"}, CNT01-2: {count: lines}}
    """
    path = write("e.yaml", text)
    mapping = load_mapping(path, root=path.parent, models=models)
    doc = order()
    doc["lines"][0]["item"] = {"ean": "4000000000001"}
    tx = mapping.render(doc)
    assert tx.version == ["D", "96A", "UN", "EAN008"]
    assert tx.segments == [
        ["BGM", "220", "PO1", "9"],
        ["DTM", ["137", "20240301", "102"]],
        ["LIN", "1", "", ["4000000000001", "EN"]],
        ["QTY", ["21", "2"]],
        ["LIN", "2"],
        ["QTY", ["21", "3"]],
        ["UNS", "S"],
        ["CNT", ["2", "2"]],
    ]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("BEG03: {field: po_number, required: true}", "BEG03: {field: po_numbr}", "has no field 'po_numbr'"),
        ("CUR01: {const: BY}", "CUX01: {const: BY}", "is not an element of CUR"),
        ("PO107: item.asin", "PO107: item.colour", "has no field 'colour'"),
        ("CTT01: {count: lines}", "CTT01: {count: po_number}", "po_number is not a list"),
        ("CTT01: {count: lines}", "CTT01: {count: lines, const: '1'}", "exactly one of"),
        ("CTT02: {sum: lines.quantity}", "CTT02: {sum: quantity}", "must look like"),
        ("- each: lines", "- each: line", "has no field 'line'"),
        (
            "      - when: {field: /order_type, is: rush}",
            "      - when: {field: order_type, is: rush}",
            "has no field 'order_type'",
        ),
        ("  - CTT:", "  - ctt: 1\n    CTT:", "unknown key 'ctt'"),
        ("code: order_type, default: NE", "code: types, default: NE", "unknown code list 'types'"),
        ("{const: BP, with: PO107}", "{const: BP, with: PO108}", "must be another element"),
    ],
)
def test_outbound_problems_name_the_line(write, models, old, new, message) -> None:
    text = OUT.replace(old, new)
    assert text != OUT
    path = write("o.yaml", text)
    with pytest.raises(MappingError) as err:
        load_mapping(path, root=path.parent, models=models)
    hit = next((p for p in err.value.problems if message in p.message), None)
    assert hit is not None, err.value.problems
    needle = new.split("\n")[0].strip()
    expected = next(i for i, line in enumerate(text.lstrip().splitlines(), 1) if needle in line)
    assert hit.line == expected


OVERLAY = """
version: 1
overlay: base-out
add:
  - after: CUR
    REF: {REF01: {const: IA}, REF02: {const: VENDOR9}}
replace:
  ship_to:
    N1: {N101: {const: ST}, N104: ship_to.code}
remove: [AMT]
"""


def test_outbound_overlay_adds_replaces_and_removes(write, models) -> None:
    write(
        "base-out.yaml",
        OUT.replace("  - each: refs\n    REF: {REF01: {const: VR}, REF02: {field: value}}\n", ""),
    )
    overlay = write("overlays/p.yaml", OVERLAY)
    mapping = load_mapping("base-out", [overlay], root=overlay.parent.parent, models=models)
    segs = mapping.render(order()).segments
    assert segs[:4] == [
        ["BEG", "00", "RO", "PO1", "", "20240301"],
        ["CUR", "BY", "USD"],
        ["REF", "IA", "VENDOR9"],
        ["N1", "ST", "", "", "ABE2"],
    ]
    assert segs[-1][0] == "CTT"


def test_outbound_overlay_unknown_id(write, models) -> None:
    write(
        "base-out.yaml",
        OUT.replace("  - each: refs\n    REF: {REF01: {const: VR}, REF02: {field: value}}\n", ""),
    )
    overlay = write("overlays/p.yaml", OVERLAY.replace("after: CUR", "after: CURR"))
    with pytest.raises(MappingError) as err:
        load_mapping("base-out", [overlay], root=overlay.parent.parent, models=models)
    assert "no segment entry with id 'CURR'" in str(err.value)
    assert err.value.problems[0].file.endswith("p.yaml") and err.value.problems[0].line == 4


def test_the_invoic_line_total_is_the_sum_of_the_line_amounts_as_written() -> None:
    """MOA+79 adds the MOA+203 the lines state: a stated amount as it is, else quantity x price
    rounded to the cent as that line writes it; never the unrounded quantity x price (3.38)."""
    import json

    from gateway.canonical import Invoice
    from gateway.mapping import MappingRegistry, default_root

    sample = json.loads((default_root() / "tests" / "edifact-invoic-credit.expected.json").read_text())
    doc = sample["documents"][0]
    line = {**doc["lines"][0], "quantity": "1", "unit_price": "1.125", "taxes": []}
    lines = [
        {**line, "line_no": "1", "amount": "1.13"},
        {**line, "line_no": "2", "amount": "1.10"},  # a stated amount wins over quantity x price
        {**line, "line_no": "3", "amount": None},  # none stated: 1 x 1.125, written 1.13
    ]
    doc = {**doc, "lines": lines, "taxes": [], "line_count": 3, "total": "3.36"}
    doc.pop("type")
    invoice = Invoice.model_validate(doc)
    body = MappingRegistry().render(invoice, "edifact", "D96A", "INVOIC").segments
    moa = [seg[1] for seg in body if seg[0] == "MOA"]
    assert [m[1] for m in moa if m[0] == "203"] == ["1.13", "1.10", "1.13"]
    assert [m[1] for m in moa if m[0] == "79"] == ["3.36"]


# --- a plain dotted field's fast read against the general one (with empty filters) -----------

_NAMES = st.sampled_from(["a", "b", "lines"])
_TREES = st.recursive(
    st.one_of(st.none(), st.text(max_size=3), st.integers()),
    lambda inner: st.dictionaries(_NAMES, inner, max_size=3),
    max_leaves=8,
)


@given(_TREES, _TREES, st.lists(_NAMES, min_size=1, max_size=3), st.booleans())
def test_a_plain_field_reads_as_the_general_path(
    item: object, root: object, parts: list[str], at_root: bool
) -> None:
    fast = FieldRef(tuple(parts), at_root)
    general = FieldRef(tuple(parts), at_root, filters=(None,) * len(parts))
    assert fast.get(item, root) == general.get(item, root)
