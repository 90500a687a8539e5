"""The language features that build and read party lists and packaging trees, on small models.

Inbound: a list of parties from N1/NAD loops (``each`` + a role ``code`` with
``skip_unknown``), ``within``/``members`` on a value, ``before`` on a group, negative
filters ``[01!=22]``, ``direct`` levels and ``up: parent`` on an EDIFACT CPS hierarchy.
Outbound: selecting list entries by a field, ``parties[role=remit_to]``, in ``field``,
``each``, ``when`` and ``count``. Code lists with several values per code and null
fallbacks. Each misuse is a load error naming file and line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import BaseModel

from gateway.mapping import MappingError, TranslationError, load_mapping
from gateway.mapping.codes import CodeList


class Party(BaseModel):
    role: str
    id: str | None = None
    name: str | None = None
    city: str | None = None


class Line(BaseModel):
    line_no: str
    sku: str | None = None


class Doc(BaseModel):
    number: str
    ref_date: str | None = None
    terms_type: str | None = None
    net_days: str | None = None
    parties: list[Party] = []
    charges: list[str] = []
    lines: list[Line] = []


class Content(BaseModel):
    sku: str


class Pack(BaseModel):
    sscc: str
    parent: str | None = None
    contents: list[Content] = []


class Tree(BaseModel):
    number: str
    packs: list[Pack] = []


MODELS = {"doc": Doc, "tree": Tree}

X12 = """
version: 1
standard: x12
document: "810"
direction: inbound
versions: ["004010"]
canonical: doc
codes:
  role: {ST: ship_to, BT: [bill_to, invoicee], RI: remit_to}
fields:
  number: BIG02
  parties:
    each: N1
    members: [N2, N3, N4, REF]
    fields:
      role: {path: N101, code: role, skip_unknown: true}
      id: N104
      name: N102
      city: N401
"""

SEGMENTS = [
    ["ST", "810", "1"],
    ["BIG", "20240101", "INV1"],
    ["N1", "RI", "Acme", "92", "ACME"],
    ["N4", "Dover"],
    ["N1", "ZZ", "Mystery", "92", "X"],
    ["N4", "Nowhere"],
    ["N1", "BT", "Amazon"],
    ["N1", "ST", "", "92", "ABE8"],
    ["N4", "Allentown"],
    ["IT1", "1"],
    ["SE", "11", "1"],
]


def load(write: Callable[[str, str], Path], text: str, name: str = "m.yaml"):
    path = write(name, text)
    return load_mapping(path, root=path.parent, models=MODELS)


def problems(write: Callable[[str, str], Path], text: str) -> list:
    path = write("m.yaml", text)
    with pytest.raises(MappingError) as err:
        load_mapping(path, root=path.parent, models=MODELS)
    return err.value.problems


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.lstrip().splitlines(), 1) if needle in line)


# --- inbound -------------------------------------------------------------------------------


def test_party_list_from_n1_loops_skips_unknown_roles(write, tx) -> None:
    doc = load(write, X12).translate(tx(SEGMENTS))
    assert [(p.role, p.id, p.name, p.city) for p in doc.parties] == [
        ("remit_to", "ACME", "Acme", "Dover"),
        ("bill_to", None, "Amazon", None),  # BT lists two values: inbound reads the first
        ("ship_to", "ABE8", None, "Allentown"),  # its N4 belongs to this loop, not the next
    ]


def test_unknown_role_fails_without_skip_unknown(write, tx) -> None:
    mapping = load(write, X12.replace(", skip_unknown: true", ""))
    with pytest.raises(TranslationError) as err:
        mapping.translate(tx(SEGMENTS))
    assert (err.value.position.tag, err.value.position.element) == ("N1", 1)
    assert err.value.field == "parties[2].role"
    assert "'ZZ' is not in code list role" in err.value.message


def test_skip_unknown_keeps_list_positions_dense(write, tx) -> None:
    segments = [s for s in SEGMENTS if s[0] != "N4"]
    doc = load(write, X12).translate(tx(segments))
    assert [p.role for p in doc.parties] == ["remit_to", "bill_to", "ship_to"]


EDIFACT = """
version: 1
standard: edifact
document: INVOIC
direction: inbound
versions: ["D96A"]
canonical: doc
fields:
  number: BGM02
  ref_date: {path: "DTM[01-1=171]01-2", within: "RFF[01-1=ON]", members: [DTM]}
  terms_type: "PAT[01!=22]01"
  net_days: "PAT[01!=22]03-4"
  charges: {path: "ALC05-1", all: true}
  lines:
    each: LIN
    fields:
      line_no: LIN01
      sku: "PIA[id=SA]"
"""

EDIFACT_SEGMENTS = [
    ["UNH", "1", ["INVOIC", "D", "96A", "UN"]],
    ["BGM", "380", "INV9", "9"],
    ["RFF", ["IV", "INV8"]],
    ["DTM", ["171", "20240101", "102"]],
    ["RFF", ["ON", "PO1"]],
    ["DTM", ["171", "20231224", "102"]],
    ["PAT", "22", "", ["5", "3", "D", "10"]],
    ["PAT", "1", "", ["5", "3", "D", "30"]],
    ["ALC", "A", "", "", "", ["H1"]],
    ["LIN", "1"],
    ["PIA", "5", ["SKU-1", "SA"]],
    ["ALC", "C", "", "", "", ["L1"]],
    ["UNS", "S"],
    ["UNT", "13", "1"],
]


def test_within_members_negative_filter_and_before(write, tx) -> None:
    mapping = load(write, EDIFACT)
    doc = mapping.translate(tx(EDIFACT_SEGMENTS, "edifact", "D96A"))
    assert doc.ref_date == "20231224"  # the DTM of the RFF+ON group, not of the RFF+IV before it
    assert (doc.terms_type, doc.net_days) == ("1", "30")  # PAT+22 is passed over
    assert doc.charges == ["H1", "L1"]
    assert [(line.line_no, line.sku) for line in doc.lines] == [("1", "SKU-1")]


def test_within_finds_nothing_when_the_loop_is_absent(write, tx) -> None:
    segments = [s for s in EDIFACT_SEGMENTS if s[0] != "RFF" or s[1][0] != "ON"]
    doc = load(write, EDIFACT).translate(tx(segments, "edifact", "D96A"))
    assert doc.ref_date is None


def test_before_limits_a_group_to_the_header(write, tx) -> None:
    text = EDIFACT.replace(
        '  charges: {path: "ALC05-1", all: true}\n',
        "  parties:\n    each: ALC\n    before: LIN\n    fields:\n      role: ALC01\n      id: ALC05-1\n",
    )
    doc = load(write, text).translate(tx(EDIFACT_SEGMENTS, "edifact", "D96A"))
    assert [(p.role, p.id) for p in doc.parties] == [("A", "H1")]


DESADV = """
version: 1
standard: edifact
document: DESADV
direction: inbound
versions: ["D96A"]
canonical: tree
hierarchy: {segment: CPS, id: 1, parent: 2, level: 3}
fields:
  number: BGM02
  packs:
    each: CPS
    having: GIN[01=BJ]
    fields:
      sscc: GIN[01=BJ]02-1
      parent: {path: "GIN[01=BJ]02-1", up: parent}
      contents:
        each: LIN
        fields:
          sku: PIA[id=SA]
"""

CPS_SEGMENTS = [
    ["UNH", "1", ["DESADV", "D", "96A", "UN"]],
    ["BGM", "351", "ASN1", "9"],
    ["CPS", "1"],
    ["CPS", "2", "1"],
    ["GIN", "BJ", "PALLET"],
    ["CPS", "3", "2"],
    ["GIN", "BJ", "CARTON1"],
    ["LIN", "1"],
    ["PIA", "1", ["A", "SA"]],
    ["CPS", "4", "2"],
    ["GIN", "BJ", "CARTON2"],
    ["LIN", "2"],
    ["PIA", "1", ["B", "SA"]],
    ["CNT", ["2", "2"]],
    ["UNT", "15", "1"],
]


def test_up_parent_follows_the_cps_hierarchy(write, tx) -> None:
    doc = load(write, DESADV).translate(tx(CPS_SEGMENTS, "edifact", "D96A"))
    assert [(p.sscc, p.parent, [c.sku for c in p.contents]) for p in doc.packs] == [
        ("PALLET", None, []),  # its parent CPS 1 has no GIN
        ("CARTON1", "PALLET", ["A"]),
        ("CARTON2", "PALLET", ["B"]),
    ]


SHIPMENT = """
version: 1
standard: x12
document: "856"
direction: inbound
versions: ["004010"]
canonical: tree
fields:
  number: BSN02
  packs:
    level: [T, P]
    fields:
      sscc: MAN[01=GM]02
      parent: {path: "MAN[01=GM]02", up: T}
      contents:
        level: I
        direct: true
        fields:
          sku: LIN[id=VN]
"""


def test_direct_levels_take_children_only(write, tx) -> None:
    segments = [
        ["ST", "856", "1"],
        ["BSN", "00", "S1"],
        ["HL", "1", "", "S"],
        ["HL", "2", "1", "O"],
        ["HL", "3", "2", "T"],
        ["MAN", "GM", "T1"],
        ["HL", "4", "3", "I"],  # loose on the pallet
        ["LIN", "", "VN", "LOOSE"],
        ["HL", "5", "3", "P"],
        ["MAN", "GM", "P1"],
        ["HL", "6", "5", "I"],
        ["LIN", "", "VN", "BOXED"],
        ["SE", "12", "1"],
    ]
    doc = load(write, SHIPMENT).translate(tx(segments))
    assert [(p.sscc, p.parent, [c.sku for c in p.contents]) for p in doc.packs] == [
        ("T1", None, ["LOOSE"]),
        ("P1", "T1", ["BOXED"]),
    ]
    nested = load(write, SHIPMENT.replace("        direct: true\n", ""), "n.yaml").translate(tx(segments))
    assert [c.sku for c in nested.packs[0].contents] == ["LOOSE", "BOXED"]  # all descendants


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        (
            "code: role, skip_unknown: true",
            "skip_unknown: true",
            "role: {path",
            "skip_unknown: true needs a code: list",
        ),
        (
            "  number: BIG02",
            "  number: {path: BIG02, members: [DTM]}",
            "number:",
            "members: goes with within:",
        ),
        # an X12 mapping with no level: group reads no HL tree: up: would always find nothing
        ("  number: BIG02", "  number: {path: BIG02, up: parent}", "number:", "reads no hierarchy"),
        (
            "  number: BIG02",
            "  number: {path: BIG02, const: X}",
            "number:",
            "const: and path: do not go together",
        ),
        ("  number: BIG02", "  number: {path: BIG02, default: 5}", "number:", "does not fit number"),
        (
            "    each: N1\n",
            "    each: N1\n    direct: true\n",
            "direct: true",
            "direct: true goes with level:",
        ),
        ("      id: N104", "      id: IT1[id!=BP]", "id: IT1", "[id!=...] is not supported"),
        ("    members: [N2, N3, N4, REF]", "    members: [N2, n3]", "members:", "'n3' is not a segment tag"),
    ],
)
def test_misuse_is_a_load_error_with_its_line(write, old, new, needle, message) -> None:
    text = X12.replace(old, new)
    assert text != X12
    found = problems(write, text)
    hit = next((p for p in found if message in p.message), None)
    assert hit is not None, found
    assert hit.line == line_of(text, needle)


def test_skip_unknown_outside_a_list_is_refused(write) -> None:
    text = X12.replace("  number: BIG02", "  number: {path: BIG02, code: role, skip_unknown: true}")
    assert any("directly inside a list" in p.message for p in problems(write, text))


def test_up_needs_a_hierarchy_in_edifact(write) -> None:
    text = EDIFACT.replace('  terms_type: "PAT[01!=22]01"', "  terms_type: {path: PAT01, up: parent}")
    assert any("reads no hierarchy" in p.message for p in problems(write, text))


# --- outbound ------------------------------------------------------------------------------

OUT = """
version: 1
standard: x12
document: "810"
direction: outbound
versions: ["004010"]
canonical: doc
codes:
  role: {RI: remit_to, BT: [bill_to, invoicee], ST: ship_to}
segments:
  - BIG: {BIG02: number}
  - id: remit_to
    each: "parties[role=remit_to]"
    N1: {N101: {const: RI}, N102: name, N104: id}
  - id: billed
    each: "parties[role=bill_to|invoicee]"
    N1: {N101: {field: role, code: role}, N102: name}
  - id: fc
    when: {field: "parties[role=ship_to]", present: false}
    N1: {N101: {const: ST}, N104: {const: DEFAULT}}
  - REF: {REF01: {const: FC}, REF02: "parties[role=ship_to].id"}
  - CTT: {CTT01: {count: "parties[role=bill_to|invoicee]"}}
"""


def doc(*parties: dict) -> Doc:
    return Doc(number="INV1", parties=[Party(**p) for p in parties])


def test_selection_by_role(write) -> None:
    mapping = load(write, OUT)
    segments = mapping.render(
        doc(
            {"role": "ship_to", "id": "ABE8"},
            {"role": "invoicee", "name": "Amazon EU"},
            {"role": "remit_to", "id": "ACME", "name": "Acme"},
            {"role": "ship_to", "id": "SECOND"},
        )
    ).segments
    assert segments == [
        ["BIG", "", "INV1"],
        ["N1", "RI", "Acme", "", "ACME"],
        ["N1", "BT", "Amazon EU"],  # invoicee is written with the code that lists it
        ["REF", "FC", "ABE8"],  # the first ship-to
        ["CTT", "1"],
    ]


def test_when_a_selection_is_empty(write) -> None:
    segments = load(write, OUT).render(doc({"role": "bill_to", "name": "B"})).segments
    assert ["N1", "ST", "", "", "DEFAULT"] in segments
    assert ["CTT", "1"] in segments
    assert not any(s[0] == "REF" for s in segments)  # no ship-to id: no REF


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'each: "parties[role=remit_to]"',
            'each: "lines[role=remit_to]"',
            "Line has no field 'role' to select by",
        ),
        ('REF02: "parties[role=ship_to].id"', 'REF02: "number[role=x]"', "number is not a list of objects"),
        (
            'REF02: "parties[role=ship_to].id"',
            "REF02: parties.id",
            "select one entry like parties[role=ship_to]",
        ),
        ('REF02: "parties[role=ship_to].id"', 'REF02: "parties[role=].id"', "is not a canonical field name"),
    ],
)
def test_selection_misuse(write, old, new, message) -> None:
    text = OUT.replace(old, new)
    assert text != OUT
    found = problems(write, text)
    hit = next((p for p in found if message in p.message), None)
    assert hit is not None, found
    assert hit.line == line_of(text, new.split(":")[0].strip() + ":")


# --- code lists ------------------------------------------------------------------------------


def test_code_lists_with_several_values_case_and_null_fallback() -> None:
    roles = CodeList.build("roles", {"BT": ["bill_to", "invoicee"], "ST": "ship_to"})
    assert roles.read("BT") == "bill_to"
    assert (roles.write("bill_to"), roles.write("invoicee"), roles.write("SHIP_TO")) == ("BT", "BT", "ST")
    with pytest.raises(ValueError, match="no code in code list roles for value 'vendor'"):
        roles.write("vendor")
    with pytest.raises(ValueError, match="'ZZ' is not in code list roles"):
        roles.read("ZZ")
    terms = CodeList.build("terms", {"1": "01", "*": None})
    assert (terms.read("1"), terms.read("22")) == ("01", None)
    assert terms.knows("1") and not terms.knows("22")
