"""The inbound engine on hand-built transactions: every language feature, every misfit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.mapping import TranslationError, load_mapping

HEADER = """
version: 1
standard: {standard}
document: "{document}"
direction: inbound
versions: ["{version}"]
canonical: {canonical}
"""

ORDER = (
    HEADER.format(standard="x12", document="850", version="004010", canonical="order")
    + """
codes:
  order_type: {NE: new, RO: rush}
fields:
  po_number: {path: BEG03, required: true}
  order_date: {path: BEG05, convert: "date(CCYYMMDD)"}
  order_type: {path: BEG02, code: order_type}
  currency: {path: CUR02, default: USD}
  refs: {path: "REF[01=VR]02", all: true}
  total: {path: AMT02, convert: "implied(2)"}
  ship_to:
    within: N1[01=ST]
    members: [N2, N3, N4]
    fields:
      code: N104
      name: N102
      city: N401
  vendor:
    within: N1[01=VN]
    members: [N2, N3, N4]
    fields:
      code: N104
      city: N401
  lines:
    each: PO1
    until: [CTT]
    required: true
    fields:
      line_no: {path: PO101, convert: int}
      quantity: {path: PO102, convert: decimal, required: true}
      uom: PO103
      unit_price: {path: PO104, convert: decimal}
      item.asin: PO1[id=BP]
      item.ean: PO1[id=EN]
      item.upc: "PID[01=F]05"
      item.vendor_sku: ["PO1[id=VN]", "PO1[id=VP]"]
"""
)

SEGMENTS = [
    ["ST", "850", "0001"],
    ["BEG", "00", "RO", "PO12345", "", "20240131"],
    ["CUR", "BY", "CAD"],
    ["REF", "VR", "V-1"],
    ["N1", "VN", "Acme", "92", "ACME1"],
    ["N4", "Dover", "DE"],
    ["N1", "ST", "Amazon ABE2", "92", "ABE2"],
    ["N4", "Allentown", "PA"],
    ["REF", "VR", "V-2"],
    ["PO1", "1", "10", "EA", "9.50", "", "BP", "B00ASIN01", "VP", "SKU-1"],
    ["PID", "F", "", "", "", "blue widget"],
    ["PO1", "2", "4", "CA", "20", "", "EN", "5012345678900", "VN", "SKU-2"],
    ["CTT", "2"],
    ["AMT", "TT", "17500"],
    ["SE", "14", "0001"],
]


@pytest.fixture
def order_mapping(write: Callable[[str, str], Path], models: dict) -> object:
    path = write("x12-004010-850-in.yaml", ORDER)
    return load_mapping(path, root=path.parent, models=models)


def test_header_values_codes_defaults_and_conversions(order_mapping, tx) -> None:
    doc = order_mapping.translate(tx(SEGMENTS))
    assert doc.po_number == "PO12345"
    assert doc.order_date == date(2024, 1, 31)
    assert doc.order_type == "rush"
    assert doc.currency == "CAD"
    assert doc.total == Decimal("175.00")


def test_default_applies_when_absent(order_mapping, tx) -> None:
    segments = [s for s in SEGMENTS if s[0] != "CUR"]
    assert order_mapping.translate(tx(segments)).currency == "USD"


def test_qualifier_selected_loops_keep_their_own_segments(order_mapping, tx) -> None:
    doc = order_mapping.translate(tx(SEGMENTS))
    assert (doc.ship_to.code, doc.ship_to.name, doc.ship_to.city) == ("ABE2", "Amazon ABE2", "Allentown")
    assert (doc.vendor.code, doc.vendor.city) == ("ACME1", "Dover")


def test_all_collects_every_match_anywhere(order_mapping, tx) -> None:
    assert order_mapping.translate(tx(SEGMENTS)).refs == ["V-1", "V-2"]


def test_line_loop_with_id_pairs_and_segments_after_the_line(order_mapping, tx) -> None:
    lines = order_mapping.translate(tx(SEGMENTS)).lines
    assert [line.line_no for line in lines] == [1, 2]
    assert lines[0].item.asin == "B00ASIN01"
    assert lines[0].item.vendor_sku == "SKU-1"  # VP when there is no VN
    assert lines[0].item.upc == "blue widget"  # the PID after line 1 belongs to line 1
    assert lines[1].item.upc is None
    assert lines[1].item.ean == "5012345678900"
    assert lines[1].item.vendor_sku == "SKU-2"
    assert (lines[1].quantity, lines[1].uom, lines[1].unit_price) == (Decimal(4), "CA", Decimal(20))


def test_absent_optional_group_is_null(order_mapping, tx) -> None:
    segments = [s for s in SEGMENTS if not (s[0] == "N1" and s[1] == "VN")]
    segments = [s for s in segments if s != ["N4", "Dover", "DE"]]
    assert order_mapping.translate(tx(segments)).vendor is None


def test_required_value_missing_names_segment_and_field(order_mapping, tx) -> None:
    segments = [list(s) for s in SEGMENTS]
    segments[11][2] = ""  # PO102 of line 2
    with pytest.raises(TranslationError) as err:
        order_mapping.translate(tx(segments))
    assert err.value.field == "lines[2].quantity"
    assert err.value.position.tag == "PO1"
    assert err.value.position.segment == 3 + 11
    assert "PO102" in str(err.value)


def test_bad_date_names_element(order_mapping, tx) -> None:
    segments = [list(s) for s in SEGMENTS]
    segments[1][5] = "20241332"
    with pytest.raises(TranslationError) as err:
        order_mapping.translate(tx(segments))
    assert (err.value.position.tag, err.value.position.element, err.value.field) == ("BEG", 5, "order_date")
    assert "not a date" in err.value.message


def test_unknown_code_names_the_list(order_mapping, tx) -> None:
    segments = [list(s) for s in SEGMENTS]
    segments[1][2] = "ZZ"
    with pytest.raises(TranslationError, match="order_type") as err:
        order_mapping.translate(tx(segments))
    assert err.value.position.element == 2


def test_model_validation_error_points_at_the_source(order_mapping, tx) -> None:
    segments = [list(s) for s in SEGMENTS]
    segments[9][2] = "-3"  # quantity must be > 0 in the model
    with pytest.raises(TranslationError) as err:
        order_mapping.translate(tx(segments))
    assert err.value.field == "lines[1].quantity"
    assert (err.value.position.tag, err.value.position.element) == ("PO1", 2)


def test_required_loop_missing(order_mapping, tx) -> None:
    segments = [s for s in SEGMENTS if s[0] not in ("PO1", "PID")]
    with pytest.raises(TranslationError, match="no PO1 found"):
        order_mapping.translate(tx(segments))


def test_extra_values_fill_unmapped_fields(order_mapping, tx) -> None:
    doc = order_mapping.translate(tx(SEGMENTS), {"partner": "amazon-us", "not_a_field": 1})
    assert doc.partner == "amazon-us"


# --- the 856 hierarchy ------------------------------------------------------------------

SHIPMENT = (
    HEADER.format(standard="x12", document="856", version="004010", canonical="shipment")
    + """
fields:
  shipment_id: {path: BSN02, required: true}
  ship_date: {path: "DTM[01=011]02", convert: "date(CCYYMMDD)"}
  orders:
    level: O
    fields:
      po_number: {path: PRF01, required: true}
      lines:
        level: I
        fields:
          line_no: {path: LIN01, convert: int}
          quantity: {path: SN102, convert: decimal}
          uom: SN103
          item.asin: LIN[id=BP]
  packages:
    level: [P, T]
    fields:
      sscc: {path: "MAN[01=GM]02", required: true}
      contents:
        level: I
        fields:
          line_no: {path: LIN01, convert: int}
          quantity: {path: SN102, convert: decimal}
          item.asin: LIN[id=BP]
"""
)


def hl(hid: str, parent: str, level: str) -> list[str]:
    return ["HL", hid, parent, level]


SOTPI = [
    ["ST", "856", "0001"],
    ["BSN", "00", "SHIP1", "20240201", "1200"],
    hl("1", "", "S"),
    ["DTM", "011", "20240201"],
    hl("2", "1", "O"),
    ["PRF", "PO1"],
    hl("3", "2", "T"),
    ["MAN", "GM", "00000000000000000011"],
    hl("4", "3", "P"),
    ["MAN", "GM", "00000000000000000022"],
    hl("5", "4", "I"),
    ["LIN", "1", "BP", "ASIN1"],
    ["SN1", "", "6", "EA"],
    hl("7", "1", "O"),  # a second order, declared after an item of the first
    ["PRF", "PO2"],
    hl("6", "4", "I"),  # belongs to pack 4 (order PO1) though it comes after order PO2
    ["LIN", "2", "BP", "ASIN2"],
    ["SN1", "", "4", "EA"],
    hl("8", "7", "P"),
    ["MAN", "GM", "00000000000000000033"],
    hl("9", "8", "I"),
    ["LIN", "1", "BP", "ASIN3"],
    ["SN1", "", "1", "EA"],
    ["CTT", "9"],
    ["SE", "25", "0001"],
]


@pytest.fixture
def shipment_mapping(write: Callable[[str, str], Path], models: dict) -> object:
    path = write("x12-004010-856-in.yaml", SHIPMENT)
    return load_mapping(path, root=path.parent, models=models)


def test_hierarchy_links_by_parent_id_not_position(shipment_mapping, tx) -> None:
    doc = shipment_mapping.translate(tx(SOTPI))
    assert doc.shipment_id == "SHIP1"
    assert doc.ship_date == date(2024, 2, 1)
    assert [o.po_number for o in doc.orders] == ["PO1", "PO2"]
    assert [line.item.asin for line in doc.orders[0].lines] == ["ASIN1", "ASIN2"]
    assert [line.item.asin for line in doc.orders[1].lines] == ["ASIN3"]
    assert doc.orders[0].lines[1].quantity == Decimal(4)


def test_tare_and_pack_levels_are_packages_with_their_descendants(shipment_mapping, tx) -> None:
    doc = shipment_mapping.translate(tx(SOTPI))
    packs = {p.sscc[-2:]: [c.item.asin for c in p.contents] for p in doc.packages}
    assert packs == {"11": ["ASIN1", "ASIN2"], "22": ["ASIN1", "ASIN2"], "33": ["ASIN3"]}


def test_shipment_without_packs(shipment_mapping, tx) -> None:
    soi = [s for s in SOTPI[:6]] + [
        hl("3", "2", "I"),
        ["LIN", "1", "BP", "A"],
        ["SN1", "", "2", "EA"],
        ["SE", "9", "0001"],
    ]
    doc = shipment_mapping.translate(tx(soi))
    assert doc.packages == []
    assert [line.item.asin for line in doc.orders[0].lines] == ["A"]


def test_unknown_parent_is_a_translation_error(shipment_mapping, tx) -> None:
    bad = [list(s) for s in SOTPI]
    bad[8] = hl("4", "99", "P")
    with pytest.raises(TranslationError, match="parent '99'") as err:
        shipment_mapping.translate(tx(bad))
    assert (err.value.position.tag, err.value.position.element) == ("HL", 2)


def test_up_looks_in_the_ancestor_level(write, models, tx) -> None:
    text = SHIPMENT.replace(
        "          item.asin: LIN[id=BP]\n  packages", "          item.asin: LIN[id=BP]\n  packages"
    ).replace(
        '      sscc: {path: "MAN[01=GM]02", required: true}',
        "      sscc: {path: PRF01, up: O}",
    )
    path = write("up.yaml", text)
    mapping = load_mapping(path, root=path.parent, models=models)
    doc = mapping.translate(tx(SOTPI))
    assert [p.sscc for p in doc.packages] == ["PO1", "PO1", "PO2"]


# --- EDIFACT groups ------------------------------------------------------------------------

ORDERS = (
    HEADER.format(standard="edifact", document="ORDERS", version="D96A", canonical="order")
    + """
fields:
  po_number: BGM02
  order_date: {path: "DTM[01-1=137]01", convert: "date(dtm)"}
  currency: "CUX[01-1=2]01-2"
  ship_to:
    within: NAD[01=DP]
    fields:
      code: NAD02-1
  lines:
    each: LIN
    until: [UNS]
    fields:
      line_no: {path: LIN01, convert: int}
      quantity: {path: "QTY[01-1=21]01-2", convert: decimal}
      unit_price: {path: "PRI[01-1=AAA]01-2", convert: decimal}
      item.ean: LIN[id=EN]
      item.asin: PIA[id=BP]
"""
)

EDIFACT_SEGMENTS = [
    ["UNH", "1", ["ORDERS", "D", "96A", "UN"]],
    ["BGM", "220", "PO999", "9"],
    ["DTM", ["137", "20240131", "102"]],
    ["NAD", "DP", ["FRA3", "", "9"]],
    ["CUX", ["2", "EUR", "9"]],
    ["LIN", "1", "", ["4000000000001", "EN"]],
    ["PIA", "5", ["B0ASIN", "BP"]],
    ["QTY", ["21", "12"]],
    ["PRI", ["AAA", "3.5"]],
    ["LIN", "2", "", ["4000000000002", "EN"]],
    ["QTY", ["21", "1"]],
    ["UNS", "S"],
    ["CNT", ["2", "2"]],
    ["UNT", "13", "1"],
]


def test_edifact_composites_and_groups(write, models, tx) -> None:
    path = write("edifact-d96a-orders-in.yaml", ORDERS)
    mapping = load_mapping(path, root=path.parent, models=models)
    doc = mapping.translate(tx(EDIFACT_SEGMENTS, "edifact", "D96A"))
    assert (doc.po_number, doc.order_date, doc.currency) == ("PO999", date(2024, 1, 31), "EUR")
    assert doc.ship_to.code == "FRA3"
    assert [(line.item.ean, line.item.asin, line.quantity) for line in doc.lines] == [
        ("4000000000001", "B0ASIN", Decimal(12)),
        ("4000000000002", None, Decimal(1)),
    ]
    assert doc.lines[0].unit_price == Decimal("3.5")
