"""The EDIFACT writer: envelope, computed counts, escaping, and write -> read round trips."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.edi import parse
from gateway.edi.edifact.reader import read_edifact
from gateway.edi.edifact.writer import write_edifact
from gateway.edi.errors import Issue
from gateway.edi.model import (
    EDIFACT_DEFAULT,
    Delimiters,
    OutboundGroup,
    OutboundInterchange,
    OutboundTransaction,
    Transaction,
)

WHEN = datetime(2026, 11, 23, 12, 0)
INVOIC_BODY = [
    ["BGM", "380", "INV-4711", "9"],
    ["DTM", ["137", "20261123", "102"]],
    ["NAD", "SU", ["4012345000009", "", "9"]],
    ["FTX", "AAI", "", "", "Mind the gap: 2+2 isn't 5?"],
    ["MOA", ["203", "1202.58"]],
]


def interchange(delimiters: Delimiters = EDIFACT_DEFAULT, implicit: bool = True, **kw) -> OutboundInterchange:
    transactions = [
        OutboundTransaction("INVOIC", "1", INVOIC_BODY, ["D", "96A", "UN", "EAN008"]),
        OutboundTransaction("INVOIC", "2", INVOIC_BODY[:2], None),
    ]
    return OutboundInterchange(
        sender_qualifier="14",
        sender_id="4012345000009",
        receiver_qualifier="14",
        receiver_id="5450534000000",
        control_number="501",
        timestamp=WHEN,
        groups=[
            OutboundGroup("INVOIC", "4012345000009", "5450534000000", "9", "D96A", transactions, implicit)
        ],
        version="UNOC:3",
        delimiters=delimiters,
        **kw,
    )


def test_default_envelope_has_una_unb_unh_unt_unz_with_counts() -> None:
    text = write_edifact(interchange()).decode()
    assert text.startswith("UNA:+.? 'UNB+UNOC:3+4012345000009:14+5450534000000:14+261123:1200+501'")
    assert "UNH+1+INVOIC:D:96A:UN:EAN008'" in text
    assert "UNT+7+1'" in text
    assert "UNH+2+INVOIC:D:96A:UN'" in text  # version from the group
    assert "UNT+4+2'" in text
    assert text.endswith("UNZ+2+501'")
    assert "UNG" not in text


def test_release_character_escapes_separators_in_data() -> None:
    text = write_edifact(interchange()).decode()
    assert "FTX+AAI+++Mind the gap?: 2?+2 isn?'t 5??'" in text


def test_explicit_group_writes_ung_une_and_unz_counts_groups() -> None:
    text = write_edifact(interchange(implicit=False)).decode()
    assert "UNG+INVOIC+4012345000009+5450534000000+261123:1200+9+UN+D:96A'" in text
    assert "UNE+2+9'" in text
    assert text.endswith("UNZ+1+501'")


def test_test_flag_and_ack_request_land_in_unb09_and_unb11() -> None:
    parsed = parse(write_edifact(interchange(test=True, ack_requested=True)))
    unb = parsed.interchanges[0].header.segment
    assert parsed.interchanges[0].header.test is True
    assert unb[9] == "1" and unb[11] == "1"


def test_custom_separators_suffix_and_decimal_comma_in_una() -> None:
    delimiters = Delimiters(element="*", component="=", segment="~", release="!", decimal=",", suffix="\r\n")
    text = write_edifact(interchange(delimiters)).decode()
    assert text.startswith("UNA=*,! ~\r\nUNB*UNOC=3*")
    assert "FTX*AAI***Mind the gap: 2+2 isn't 5?~\r\n" in text
    parsed = parse(text.encode())
    assert parsed.ok
    assert parsed.interchanges[0].header.delimiters.decimal == ","


def test_syntax_4_repetition_separator_is_escaped_too() -> None:
    delimiters = Delimiters(element="+", component=":", segment="'", release="?", repetition="*")
    ic = interchange(delimiters)
    ic.version = "UNOC:4"
    ic.groups[0].transactions[0].segments = [["FTX", "AAI", "", "", "5*7 boxes"]]
    text = write_edifact(ic).decode()
    assert "FTX+AAI+++5?*7 boxes'" in text
    assert text.startswith("UNA:+.?*'")


def test_data_that_cannot_be_written_is_refused() -> None:
    ic = interchange(Delimiters(element="+", component=":", segment="'", release=None))
    with pytest.raises(ValueError, match="release"):
        write_edifact(ic)
    ic = interchange()
    ic.groups[0].transactions[0].segments = [["FTX", "AAI", "", "", "two\nlines"]]
    with pytest.raises(ValueError, match="line break"):
        write_edifact(ic)


def test_read_write_read_gives_the_same_segments() -> None:
    first = parse(write_edifact(interchange(implicit=False)))
    again = OutboundInterchange(
        sender_qualifier="14",
        sender_id="4012345000009",
        receiver_qualifier="14",
        receiver_id="5450534000000",
        control_number="501",
        timestamp=WHEN,
        groups=[
            OutboundGroup(
                "INVOIC",
                "4012345000009",
                "5450534000000",
                "9",
                "D96A",
                [
                    OutboundTransaction(t.type, t.control_number, t.segments[1:-1], t.segments[0][2][1:])
                    for t in first.transactions
                ],
            )
        ],
        version="UNOC:3",
        delimiters=Delimiters(element="|", component="^", segment="!", release="\\"),
    )
    second = parse(write_edifact(again))
    assert second.ok
    assert [t.segments for t in second.transactions] == [t.segments for t in first.transactions]


# --- hypothesis: random interchanges, random legal separators ----------------------

SERVICE = "+:'?*=~|^!\\#\x1c\x1d\x1f"
SEPARATORS = st.lists(st.sampled_from(SERVICE), min_size=4, max_size=4, unique=True)
TEXT = st.text(alphabet="ABCxyz0189 .,-/" + SERVICE, max_size=10)
COMPOSITE = st.lists(TEXT, min_size=2, max_size=4).filter(lambda c: c[-1] != "")
ELEMENT = st.one_of(TEXT, COMPOSITE)
BODY = st.lists(
    st.tuples(
        st.sampled_from(["BGM", "DTM", "NAD", "LIN", "QTY", "FTX"]), st.lists(ELEMENT, min_size=1, max_size=5)
    ),
    min_size=0,
    max_size=8,
)


@settings(max_examples=150, deadline=None)
@given(
    SEPARATORS,
    st.sampled_from(".,"),
    st.sampled_from(["", "\n", "\r\n"]),
    st.lists(BODY, min_size=1, max_size=3),
    st.booleans(),
)
def test_random_interchanges_round_trip(
    seps: list[str], decimal: str, suffix: str, bodies: list, implicit: bool
) -> None:
    element, component, segment, release = seps
    delimiters = Delimiters(
        element=element, component=component, segment=segment, release=release, decimal=decimal, suffix=suffix
    )
    transactions = [
        OutboundTransaction(
            "ORDERS", str(n), [[tag, *elements] for tag, elements in body], ["D", "96A", "UN"]
        )
        for n, body in enumerate(bodies, 1)
    ]
    ic = OutboundInterchange(
        "14",
        "SENDER",
        "ZZ",
        "RECEIVER",
        "42",
        WHEN,
        [OutboundGroup("ORDERS", "S", "R", "7", "D96A", transactions, implicit)],
        "UNOC:3",
        delimiters,
    )
    events = list(read_edifact([write_edifact(ic).decode("utf-8", "surrogateescape")]))
    assert [e for e in events if isinstance(e, Issue)] == []
    read = [e for e in events if isinstance(e, Transaction)]
    assert [t.segments[1:-1] for t in read] == [t.segments for t in transactions]
    assert [t.control_number for t in read] == [t.control_number for t in transactions]
    header = read[0].interchange
    assert (
        header.delimiters.element,
        header.delimiters.component,
        header.delimiters.segment,
        header.delimiters.release,
        header.delimiters.decimal,
    ) == (element, component, segment, release, decimal)
