"""The X12 writer: envelopes with computed counts, the fixed-width ISA, refusal of unsafe data,
and read -> write -> read round trips (random interchanges with random legal separators)."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.edi import parse
from gateway.edi.document import ParsedFile
from gateway.edi.model import Delimiters, OutboundGroup, OutboundInterchange, OutboundTransaction
from gateway.edi.x12.delimiters import ISA_LENGTH
from gateway.edi.x12.writer import _segment_text, serialize_segments, write_x12

WHEN = datetime(2026, 11, 23, 9, 5)
STAR = Delimiters(element="*", component=">", segment="~", repetition="^")


def interchange(delimiters: Delimiters = STAR, version: str = "00401", **kw: object) -> OutboundInterchange:
    groups = kw.pop("groups", None) or [
        OutboundGroup(
            "IN",
            "ACMEVENDOR",
            "AMAZON",
            "31",
            "004010",
            [
                OutboundTransaction(
                    "810",
                    "0001",
                    [
                        ["BIG", "20261123", "INV-1", "", "PO123456"],
                        ["IT1", "1", "3", "EA", "9.25", "", "BP", ["B0001", "X"]],
                    ],
                ),
                OutboundTransaction("810", "0002", [["BIG", "20261123", "INV-2"]], version="004010VICS"),
            ],
        ),
    ]
    fields: dict = {
        "sender_qualifier": "ZZ",
        "sender_id": "ACMEVENDOR",
        "receiver_qualifier": "ZZ",
        "receiver_id": "AMAZON",
        "control_number": "42",
        "timestamp": WHEN,
        "groups": groups,
        "version": version,
        "delimiters": delimiters,
    }
    fields.update(kw)
    return OutboundInterchange(**fields)


def read_back(data: bytes) -> ParsedFile:
    parsed = parse(data)
    assert parsed.errors == []
    return parsed


def test_envelope_counts_and_control_numbers() -> None:
    text = write_x12(interchange()).decode()
    segments = text.split("~")[:-1]
    assert segments[1] == "GS*IN*ACMEVENDOR*AMAZON*20261123*0905*31*X*004010"
    assert segments[2] == "ST*810*0001"
    assert segments[5] == "SE*4*0001"
    assert segments[6] == "ST*810*0002*004010VICS"
    assert segments[8:] == ["SE*3*0002", "GE*2*31", "IEA*1*000000042"]
    parsed = read_back(text.encode())
    assert [t.control_number for t in parsed.transactions] == ["0001", "0002"]


def test_isa_is_padded_to_its_fixed_widths() -> None:
    text = write_x12(interchange(test=True, ack_requested=True)).decode()
    isa = text[:ISA_LENGTH]
    assert isa.endswith(">~")
    elements = isa[:-1].split("*")
    assert [len(e) for e in elements[1:]] == [2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1]
    assert elements[6] == "ACMEVENDOR     " and elements[9:11] == ["261123", "0905"]
    assert elements[11:16] == ["U", "00401", "000000042", "1", "T"]
    header = read_back(text.encode()).interchanges[0].header
    assert header.test and header.control_number == "000000042"


def test_repetition_separator_written_in_isa11_from_00402() -> None:
    text = write_x12(interchange(version="00501")).decode()
    assert text[:ISA_LENGTH].split("*")[11:13] == ["^", "00501"]
    assert read_back(text.encode()).interchanges[0].header.delimiters.repetition == "^"


def test_suffix_follows_every_terminator() -> None:
    d = Delimiters(element="|", component=":", segment="\x15", repetition="^", suffix="\r\n")
    text = write_x12(interchange(d)).decode()
    assert text.count("\x15\r\n") == 11 and text.endswith("\x15\r\n")
    assert read_back(text.encode()).interchanges[0].header.delimiters.suffix == "\r\n"


def test_components_and_repeats_in_str_elements_are_kept() -> None:
    body = [["REF", "ZZ", "A>B^C"], ["N1", ["ST", "X"]]]
    groups = [OutboundGroup("PO", "A", "B", "1", "005010", [OutboundTransaction("850", "1", body)])]
    parsed = read_back(write_x12(interchange(version="00501", groups=groups)))
    assert parsed.transactions[0].segments[1:3] == [["REF", "ZZ", "A>B^C"], ["N1", "ST>X"]]


def test_serialize_segments() -> None:
    d = Delimiters(element="+", component=":", segment="'", suffix="\n")
    assert serialize_segments([["A1", "x", ["y", "z"], ""], ["B2"]], d) == "A1+x+y:z+'\nB2'\n"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {
                "groups": [
                    OutboundGroup(
                        "PO", "A", "B", "1", "004010", [OutboundTransaction("850", "1", [["REF", "a*b"]])]
                    )
                ]
            },
            "separator",
        ),
        (
            {
                "groups": [
                    OutboundGroup(
                        "PO", "A", "B", "1", "004010", [OutboundTransaction("850", "1", [["REF", "a~"]])]
                    )
                ]
            },
            "separator",
        ),
        (
            {
                "groups": [
                    OutboundGroup(
                        "PO",
                        "A",
                        "B",
                        "1",
                        "004010",
                        [OutboundTransaction("850", "1", [["REF", ["a>b", "c"]]])],
                    )
                ]
            },
            "separator",
        ),
        (
            {
                "groups": [
                    OutboundGroup(
                        "PO", "A", "B", "1", "004010", [OutboundTransaction("850", "1", [["SE", "1"]])]
                    )
                ]
            },
            "envelope",
        ),
        (
            {
                "groups": [
                    OutboundGroup(
                        "PO", "A", "B", "1", "004010", [OutboundTransaction("850", "1", [["r f", "1"]])]
                    )
                ]
            },
            "tag",
        ),
        ({"sender_id": "A-SENDER-ID-LONGER-THAN-15"}, "ISA06"),
        ({"control_number": "12345678901"}, "control number"),
        ({"control_number": "ABC"}, "control number"),
        ({"version": "00501", "delimiters": Delimiters("*", ">", "~")}, "repetition"),
        ({"delimiters": Delimiters("*", "*", "~")}, "distinct"),
        ({"delimiters": Delimiters("*", "A", "~")}, "letter"),
        ({"delimiters": Delimiters("*", ">", "~", "^", suffix="x")}, "suffix"),
    ],
)
def test_unsafe_data_is_refused(change: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        write_x12(interchange(**change))


def test_read_write_read_gives_the_same_segments() -> None:
    source = (
        "ISA|00|          |00|          |ZZ|AMAZON         |ZZ|ACMEVENDOR     |261123|1200|!|00501|000000007|0|P|:\n"
        "GS|PO|AMAZON|ACMEVENDOR|20261123|1200|7|X|005010\nST|850|0001\nBEG|00|NE|PO9||20261123\n"
        "PO1|1|2|EA|3.5||BP|B01:X|UP|12!34\nSE|4|0001\nGE|1|7\nIEA|1|000000007\n"
    )
    first = read_back(source.encode())
    ic = first.interchanges[0]
    header = ic.header
    again = OutboundInterchange(
        header.sender_qualifier,
        header.sender_id,
        header.receiver_qualifier,
        header.receiver_id,
        header.control_number,
        WHEN,
        [
            OutboundGroup(
                g.header.functional_id,
                g.header.sender_id,
                g.header.receiver_id,
                g.header.control_number,
                g.header.version,
                [OutboundTransaction(t.type, t.control_number, t.segments[1:-1]) for t in g.transactions],
            )
            for g in ic.groups
        ],
        header.version,
        header.delimiters,
    )
    second = read_back(write_x12(again))
    assert [t.segments for t in second.transactions] == [t.segments for t in first.transactions]
    assert second.interchanges[0].header.delimiters == header.delimiters


# --- hypothesis: random interchanges with random legal separators ----------------------

SEPARATORS = list("|~^\\*:>!'{}+#\x1c\x1d\x1e\x1f\x15\x7f§€¤\n")
DATA = st.text(alphabet=st.sampled_from("ABCXYZabc0123456789 .-/,&()éüà"), max_size=8)
TAGS = st.from_regex(r"[A-Z][A-Z0-9]{1,2}", fullmatch=True).filter(
    lambda t: t not in {"ISA", "IEA", "GS", "GE", "ST", "SE"}
)


@st.composite
def delimiters(draw: st.DrawFn) -> Delimiters:
    chars = draw(st.lists(st.sampled_from(SEPARATORS), min_size=4, max_size=4, unique=True))
    suffix = draw(st.sampled_from(["", "\n", "\r\n"]))
    if "\n" in chars:
        suffix = ""
    return Delimiters(
        element=chars[0], component=chars[1], segment=chars[2], repetition=chars[3], suffix=suffix
    )


@st.composite
def interchanges(draw: st.DrawFn) -> OutboundInterchange:
    element = st.one_of(DATA, st.lists(DATA, min_size=2, max_size=3))
    segment = st.builds(lambda tag, els: [tag, *els], TAGS, st.lists(element, max_size=5))
    groups = []
    control = 1
    for g in range(draw(st.integers(1, 3))):
        transactions = []
        for _ in range(draw(st.integers(1, 3))):
            transactions.append(
                OutboundTransaction(
                    draw(st.sampled_from(["850", "810", "856"])),
                    f"{control:04d}",
                    draw(st.lists(segment, max_size=6)),
                    draw(st.sampled_from([None, "005010X1"])),
                )
            )
            control += 1
        groups.append(
            OutboundGroup(
                "PO", "ACME", "AMAZON", str(g + 1), draw(st.sampled_from(["004010", "005010"])), transactions
            )
        )
    return interchange(
        draw(delimiters()),
        draw(st.sampled_from(["00401", "00501"])),
        groups=groups,
        control_number=str(draw(st.integers(0, 999_999_999))),
    )


def expected_segments(ic: OutboundInterchange) -> list[list[list[str]]]:
    c = ic.delimiters.component
    return [
        [[seg[0], *(c.join(e) if isinstance(e, list) else e for e in seg[1:])] for seg in t.segments]
        for g in ic.groups
        for t in g.transactions
    ]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(interchanges())
def test_random_interchanges_round_trip(ic: OutboundInterchange) -> None:
    data = write_x12(ic)
    parsed = read_back(data)
    assert [t.segments[1:-1] for t in parsed.transactions] == expected_segments(ic)
    header = parsed.interchanges[0].header
    d = header.delimiters
    assert (d.element, d.component, d.segment) == (
        ic.delimiters.element,
        ic.delimiters.component,
        ic.delimiters.segment,
    )
    assert d.repetition == (ic.delimiters.repetition if ic.version == "00501" else None)
    assert int(header.control_number) == int(ic.control_number)
    assert [g.header.version for g in parsed.interchanges[0].groups] == [g.version for g in ic.groups]


# --- the writer's fast path (every element a str, no separator) against the checked one -------

SUFFIXED = Delimiters(element="*", component=">", segment="~", repetition="^", suffix="\n")
_VALUES = st.text(st.sampled_from(list("AB09 *>~^:+'")), max_size=4)
_ELEMENTS = st.one_of(_VALUES, st.lists(_VALUES, min_size=1, max_size=3), st.integers(0, 99))


@given(
    st.lists(st.tuples(st.sampled_from(["BIG", "N1", "PO1"]), st.lists(_ELEMENTS, max_size=5)), max_size=4)
)
def test_the_fast_path_writes_or_refuses_as_the_checked_path(raw: list[tuple[str, list]]) -> None:
    segments = [[tag, *values] for tag, values in raw]
    try:
        expected = "".join(_segment_text(s, SUFFIXED) + "~\n" for s in segments)
    except ValueError as exc:
        with pytest.raises(ValueError) as refused:
            serialize_segments(segments, SUFFIXED)
        assert str(refused.value) == str(exc)
        return
    assert serialize_segments(segments, SUFFIXED) == expected
