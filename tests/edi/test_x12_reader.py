"""The X12 reader: events in file order, odd separators, sloppy input, every envelope defect.

Every fixture is fed three ways (whole, one character at a time, random chunk sizes) and
must give the same events, positions and offsets included.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.edi import EdiError, IssueCode, Severity, parse
from gateway.edi.errors import Issue
from gateway.edi.model import (
    Event,
    GroupEnd,
    GroupHeader,
    InterchangeEnd,
    InterchangeHeader,
    Transaction,
    repetitions,
)
from gateway.edi.x12.reader import read_x12

ISA = "ISA*00*          *00*          *ZZ*ACMEVENDOR     *ZZ*AMAZON         *261123*1200*U*00401*000000101*0*P*>~"
ISA_5010 = "ISA*00*          *00*          *ZZ*ACMEVENDOR     *ZZ*AMAZON         *261123*1200*^*00501*000000102*0*T*>~"
PO_1 = (
    "ST*850*0001~BEG*00*NE*PO123456**20261123~N1*ST*AMAZON.COM*92*PHX7~PO1*1*3*EA*9.25**BP*B00001~SE*5*0001~"
)
PO_2 = "ST*850*0002~BEG*00*NE*PO123457**20261123~SE*3*0002~"
GOOD = ISA + "GS*PO*ACMEVENDOR*AMAZON*20261123*1200*101*X*004010~" + PO_1 + PO_2 + "GE*2*101~IEA*1*000000101~"


def dialect(
    text: str,
    element: str = "*",
    component: str = ">",
    terminator: str = "~",
    repetition: str = "^",
    suffix: str = "",
) -> str:
    """``text`` written with other separators (the samples use * > ~ ^ and no other such character)."""
    return text.translate(
        {ord("*"): element, ord(">"): component, ord("~"): terminator + suffix, ord("^"): repetition}
    )


def feeds(text: str, seed: int = 7) -> Iterator[list[str]]:
    """The text whole, one character at a time, and in random chunk sizes."""
    yield [text]
    yield list(text)
    rng = random.Random(seed)
    chunks, i = [], 0
    while i < len(text):
        size = rng.randint(1, 40)
        chunks.append(text[i : i + size])
        i += size
    yield chunks


def shape(events: list[Event]) -> list[tuple]:
    """Events as comparable tuples (positions and offsets included)."""
    out: list[tuple] = []
    for e in events:
        if isinstance(e, InterchangeHeader):
            out.append(
                (
                    "ISA",
                    e.index,
                    e.sender_id,
                    e.receiver_id,
                    e.control_number,
                    e.version,
                    e.delimiters,
                    e.position,
                )
            )
        elif isinstance(e, GroupHeader):
            out.append(("GS", e.index, e.functional_id, e.control_number, e.version, e.position))
        elif isinstance(e, Transaction):
            out.append(
                (
                    "ST",
                    e.index,
                    e.type,
                    e.control_number,
                    e.version,
                    e.first_segment,
                    e.segments,
                    [(i.code, i.position) for i in e.issues],
                )
            )
        elif isinstance(e, GroupEnd):
            out.append(("GE", e.header.index, e.transaction_count, e.trailer))
        elif isinstance(e, InterchangeEnd):
            out.append(("IEA", e.header.index, e.group_count, e.transaction_count, e.trailer))
        else:
            out.append(("issue", e.code, e.position, e.severity))
    return out


def read_all(text: str) -> list[Event]:
    """Events of ``text``, checked to be the same whichever way the text is chunked."""
    results = [shape(list(read_x12(chunks))) for chunks in feeds(text)]
    assert results[1] == results[0]
    assert results[2] == results[0]
    return list(read_x12([text]))


def issues(events: list[Event]) -> list[Issue]:
    return [e for e in events if isinstance(e, Issue)]


def transactions(events: list[Event]) -> list[Transaction]:
    return [e for e in events if isinstance(e, Transaction)]


# --- a clean interchange ---------------------------------------------------------


def test_clean_interchange_gives_events_in_file_order() -> None:
    events = read_all(GOOD)
    assert [type(e).__name__ for e in events] == [
        "InterchangeHeader",
        "GroupHeader",
        "Transaction",
        "Transaction",
        "GroupEnd",
        "InterchangeEnd",
    ]
    header = events[0]
    assert isinstance(header, InterchangeHeader)
    assert (header.sender_qualifier, header.sender_id, header.receiver_id) == ("ZZ", "ACMEVENDOR", "AMAZON")
    assert (header.control_number, header.version, header.test) == ("000000101", "00401", False)
    assert (header.date, header.time) == ("261123", "1200")
    assert header.position.segment == 1 and header.position.offset == 0
    group = events[1]
    assert isinstance(group, GroupHeader)
    assert (group.functional_id, group.control_number, group.version) == ("PO", "101", "004010")
    first, second = transactions(events)
    assert first.segments[0] == ["ST", "850", "0001"]
    assert first.segments[3] == ["PO1", "1", "3", "EA", "9.25", "", "BP", "B00001"]
    assert first.segments[-1] == ["SE", "5", "0001"]
    assert (first.type, first.control_number, first.version, first.index) == ("850", "0001", "004010", 1)
    assert first.first_segment == 3 and second.first_segment == 8
    assert first.issues == [] and second.index == 2
    end = events[-1]
    assert isinstance(end, InterchangeEnd) and (end.group_count, end.transaction_count) == (1, 2)
    assert isinstance(events[-2], GroupEnd) and events[-2].transaction_count == 2


def test_transaction_position_points_at_its_segments() -> None:
    t = transactions(read_all(GOOD))[1]
    at = t.position(2, element=1)
    assert (at.interchange, at.group, at.transaction, at.segment, at.tag, at.element) == (
        1,
        1,
        2,
        10,
        "SE",
        1,
    )


def test_offsets_point_at_the_segment_in_the_text() -> None:
    text = dialect(GOOD, suffix="\r\n")
    events = read_all(text)
    group = next(e for e in events if isinstance(e, GroupHeader))
    assert group.position.offset is not None
    assert text[group.position.offset :].startswith("GS*PO")
    bad = text.replace("SE*3*0002", "SE*9*0002")
    issue = issues(read_all(bad))[0]
    assert issue.position.offset is not None
    assert bad[issue.position.offset :].startswith("SE*9*0002")


def test_reading_is_lazy() -> None:
    pulled: list[int] = []

    def chunks() -> Iterator[str]:
        for i in range(0, len(GOOD), 10):
            pulled.append(i)
            yield GOOD[i : i + 10]

    stream = read_x12(chunks())
    first = next(e for e in stream if isinstance(e, Transaction))
    assert first.control_number == "0001"
    assert len(pulled) < len(range(0, len(GOOD), 10))


# --- separators --------------------------------------------------------------------

ODD = [
    pytest.param("|", ">", "~", id="pipe"),
    pytest.param("*", "^", "~", id="caret-component"),
    pytest.param("^", ">", "~", id="caret-element"),
    pytest.param("\\", ":", "~", id="backslash"),
    pytest.param("\x1d", "\x1f", "\x15", id="control-1D-1F-15"),
    pytest.param("\x7f", ">", "~", id="DEL"),
    pytest.param("*", ">", "\x1c", id="control-terminator"),
    pytest.param("§", "¤", "€", id="multi-byte"),
    pytest.param("*", ">", "\n", id="newline-terminator"),
    pytest.param("~", ">", "'", id="tilde-element"),
]


@pytest.mark.parametrize(("element", "component", "terminator"), ODD)
def test_odd_separators_give_the_same_segments(element: str, component: str, terminator: str) -> None:
    expected = [t.segments for t in transactions(read_all(GOOD))]
    text = dialect(GOOD.replace("9.25**BP", "9.25*A>B*BP"), element, component, terminator, repetition="!")
    events = read_all(text)
    assert issues(events) == []
    header = events[0]
    assert isinstance(header, InterchangeHeader)
    assert (header.delimiters.element, header.delimiters.component, header.delimiters.segment) == (
        element,
        component,
        terminator,
    )
    got = [t.segments for t in transactions(events)]
    assert got[1] == expected[1]
    assert got[0][3][5] == f"A{component}B"  # components are not split


def test_repetition_separator_only_from_00402_on() -> None:
    body = "GS*PO*A*B*20261123*1200*7*X*005010~ST*850*0001~REF*ZZ*A^B~SE*3*0001~GE*1*7~IEA*1*000000102~"
    new = read_all(ISA_5010 + body)
    delimiters = new[0].delimiters  # type: ignore[union-attr]
    assert delimiters.repetition == "^"
    ref = transactions(new)[0].segments[1]
    assert ref[2] == "A^B" and repetitions(ref[2], delimiters) == ["A", "B"]
    old = read_all(ISA + body.replace("000000102", "000000101"))
    assert old[0].delimiters.repetition is None  # type: ignore[union-attr]
    assert repetitions(transactions(old)[0].segments[1][2], old[0].delimiters) == ["A^B"]  # type: ignore[union-attr]


def test_several_interchanges_each_with_its_own_delimiters() -> None:
    second = dialect(GOOD.replace("000000101", "000000202"), "|", "\x1f", "\n")
    third = dialect(GOOD.replace("000000101", "000000303"), "\x1d", ":", "\x15", suffix="\r\n")
    events = read_all(GOOD + "\r\n" + second + third + "\x1a")
    assert issues(events) == []
    headers = [e for e in events if isinstance(e, InterchangeHeader)]
    assert [h.control_number for h in headers] == ["000000101", "000000202", "000000303"]
    assert [h.delimiters.element for h in headers] == ["*", "|", "\x1d"]
    assert headers[2].delimiters.suffix == "\r\n"
    assert [h.index for h in headers] == [1, 2, 3]
    segments = [t.segments for t in transactions(events)]
    assert segments[0:2] == segments[2:4] == segments[4:6]
    # ordinals run over the whole file: 12 segments per interchange
    assert [h.position.segment for h in headers] == [1, 13, 25]


def test_isa_inside_data_does_not_start_an_interchange() -> None:
    text = GOOD.replace("AMAZON.COM", "VISA*ISA CARD")
    events = read_all(text)
    assert issues(events) == []
    assert transactions(events)[0].segments[2] == ["N1", "ST", "VISA", "ISA CARD", "92", "PHX7"]


def test_several_groups_with_mixed_versions() -> None:
    text = (
        ISA
        + "GS*PO*A*B*20261123*1200*1*X*004010~"
        + PO_2
        + "GE*1*1~"
        + "GS*IN*A*B*20261123*1200*2*X*003010~ST*810*0005~BIG*20261123*INV1~SE*3*0005~"
        + "ST*810*0006*005010X999~BIG*20261123*INV2~SE*3*0006~GE*2*2~IEA*2*000000101~"
    )
    events = read_all(text)
    assert issues(events) == []
    groups = [e for e in events if isinstance(e, GroupHeader)]
    assert [(g.index, g.functional_id, g.version) for g in groups] == [
        (1, "PO", "004010"),
        (2, "IN", "003010"),
    ]
    assert [(t.type, t.version, t.group.index, t.index) for t in transactions(events)] == [
        ("850", "004010", 1, 1),
        ("810", "003010", 2, 1),
        ("810", "005010X999", 2, 2),
    ]


# --- sloppy but harmless ------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["\ufeff", "  \r\n", "\ufeff\n\t "])
def test_bom_and_leading_whitespace_through_parse(prefix: str) -> None:
    parsed = parse((prefix + GOOD).encode())
    assert parsed.errors == []
    assert [t.control_number for t in parsed.transactions] == ["0001", "0002"]


@pytest.mark.parametrize("tail", ["\x1a", "\x00\x00\x00", "\r\n\r\n  \t", "\n\x1a"])
def test_trailing_control_characters_are_tolerated(tail: str) -> None:
    events = read_all(GOOD + tail)
    assert issues(events) == []
    assert isinstance(events[-1], InterchangeEnd) and events[-1].trailer is not None


@pytest.mark.parametrize("suffix", ["\n", "\r\n", "\r", "\r\n\r\n"])
def test_line_breaks_after_terminators_are_ignored(suffix: str) -> None:
    expected = [t.segments for t in transactions(read_all(GOOD))]
    events = read_all(dialect(GOOD, suffix=suffix))
    assert issues(events) == []
    assert [t.segments for t in transactions(events)] == expected


def test_newline_terminator_with_carriage_returns() -> None:
    text = dialect(GOOD, terminator="\r", suffix="\n")
    events = read_all(text)
    assert issues(events) == []
    assert events[0].delimiters.segment == "\r"  # type: ignore[union-attr]
    assert events[0].delimiters.suffix == "\n"  # type: ignore[union-attr]


def test_leading_zeros_in_counts_and_control_numbers_are_harmless() -> None:
    text = (
        GOOD.replace("SE*5*0001", "SE*005*1")
        .replace("GE*2*101", "GE*0002*000101")
        .replace("IEA*1*000000101", "IEA*01*101")
    )
    assert issues(read_all(text)) == []


# --- envelope defects: code and position --------------------------------------------

GS = "GS*PO*ACMEVENDOR*AMAZON*20261123*1200*101*X*004010~"


@pytest.mark.parametrize(
    ("text", "code", "where"),
    [
        # where = (interchange, group, transaction, segment ordinal, tag, element)
        (GOOD.replace("SE*5*0001", "SE*6*0001"), IssueCode.X12_SE_COUNT_MISMATCH, (1, 1, 1, 7, "SE", 1)),
        (GOOD.replace("SE*5*0001", "SE*5*0009"), IssueCode.X12_SE_CONTROL_MISMATCH, (1, 1, 1, 7, "SE", 2)),
        (GOOD.replace("SE*5*0001", "SE*five*0001"), IssueCode.X12_SE_COUNT_MISMATCH, (1, 1, 1, 7, "SE", 1)),
        (GOOD.replace("GE*2*101", "GE*3*101"), IssueCode.X12_GE_COUNT_MISMATCH, (1, 1, None, 11, "GE", 1)),
        (GOOD.replace("GE*2*101", "GE*2*102"), IssueCode.X12_GE_CONTROL_MISMATCH, (1, 1, None, 11, "GE", 2)),
        (GOOD.replace("IEA*1*", "IEA*2*"), IssueCode.X12_IEA_COUNT_MISMATCH, (1, None, None, 12, "IEA", 1)),
        (
            GOOD.replace("IEA*1*000000101", "IEA*1*000000100"),
            IssueCode.X12_IEA_CONTROL_MISMATCH,
            (1, None, None, 12, "IEA", 2),
        ),
        # SE missing: noticed at the next ST, reported for the open set
        (GOOD.replace("SE*5*0001~", ""), IssueCode.X12_SE_MISSING, (1, 1, 1, 7, "ST", None)),
        # SE missing at GE
        (GOOD.replace("SE*3*0002~", ""), IssueCode.X12_SE_MISSING, (1, 1, 2, 10, "GE", None)),
        # GE missing: noticed at the IEA
        (GOOD.replace("GE*2*101~", ""), IssueCode.X12_GE_MISSING, (1, 1, None, 11, "IEA", None)),
        # IEA missing at end of input: reported at the last segment read
        (GOOD.replace("IEA*1*000000101~", ""), IssueCode.X12_IEA_MISSING, (1, None, None, 11, "GE", None)),
        # IEA missing before the next ISA
        (
            GOOD.replace("IEA*1*000000101~", "") + GOOD,
            IssueCode.X12_IEA_MISSING,
            (1, None, None, 12, "ISA", None),
        ),
        (GOOD + "SE*1*0003~", IssueCode.X12_UNEXPECTED_SE, (None, None, None, 13, "SE", None)),
        (
            GOOD.replace("GE*2*101~", "GE*2*101~GE*2*101~"),
            IssueCode.X12_UNEXPECTED_GE,
            (1, None, None, 12, "GE", None),
        ),
        (GOOD + "IEA*1*000000101~", IssueCode.X12_UNEXPECTED_IEA, (None, None, None, 13, "IEA", None)),
        (GOOD + GS, IssueCode.X12_GS_OUTSIDE_INTERCHANGE, (None, None, None, 13, "GS", None)),
        (
            GOOD.replace(PO_2, "REF*ZZ*X~" + PO_2),
            IssueCode.SEGMENT_OUTSIDE_ENVELOPE,
            (1, 1, None, 8, "REF", None),
        ),
        (
            GOOD.replace("IEA*1", "REF*ZZ*X~IEA*1"),
            IssueCode.SEGMENT_OUTSIDE_ENVELOPE,
            (1, None, None, 12, "REF", None),
        ),
        (GOOD.replace("*X*004010~", "~"), IssueCode.X12_GS_INVALID, (1, 1, None, 2, "GS", None)),
        (GOOD.replace("ST*850*0002", "ST**0002"), IssueCode.X12_ST_INVALID, (1, 1, 2, 8, "ST", 1)),
    ],
)
def test_envelope_defect_reported_with_code_and_position(text: str, code: IssueCode, where: tuple) -> None:
    found = issues(read_all(text))
    assert [i.code for i in found] == [code]
    issue = found[0]
    p = issue.position
    assert (p.interchange, p.group, p.transaction, p.segment, p.tag, p.element) == where
    assert issue.severity is Severity.ERROR
    assert issue.message and p.describe() in str(issue)


def test_transaction_outside_a_group_is_reported_and_not_emitted() -> None:
    found = issues(read_all(GOOD.replace("GE*2*101~", "GE*2*101~" + PO_2)))
    assert [(i.code, i.position.segment, i.position.tag) for i in found] == [
        (IssueCode.X12_ST_OUTSIDE_GROUP, 12, "ST"),
        (IssueCode.SEGMENT_OUTSIDE_ENVELOPE, 13, "BEG"),
        (IssueCode.X12_UNEXPECTED_SE, 14, "SE"),
    ]
    assert all(i.position.group is None and i.position.interchange == 1 for i in found)


def test_transaction_carries_its_own_envelope_issues() -> None:
    text = GOOD.replace("SE*3*0002", "SE*4*0009")
    first, second = transactions(read_all(text))
    assert first.issues == []
    assert [i.code for i in second.issues] == [
        IssueCode.X12_SE_COUNT_MISMATCH,
        IssueCode.X12_SE_CONTROL_MISMATCH,
    ]


def test_dropped_transaction_and_group_still_count() -> None:
    text = GOOD.replace("SE*3*0002~GE*2*101~", "")
    events = read_all(text)
    assert [i.code for i in issues(events)] == [IssueCode.X12_SE_MISSING, IssueCode.X12_GE_MISSING]
    t = transactions(events)[1]
    assert t.segments[-1][0] == "BEG" and t.control_number == "0002"
    end = next(e for e in events if isinstance(e, GroupEnd))
    assert end.trailer is None and end.transaction_count == 2
    assert isinstance(events[-1], InterchangeEnd) and events[-1].trailer is not None


def test_outside_segments_are_reported_once_per_stretch() -> None:
    text = GOOD.replace(PO_2, "REF*ZZ*1~REF*ZZ*2~" + PO_2)
    found = issues(read_all(text))
    assert [(i.code, i.position.segment) for i in found] == [(IssueCode.SEGMENT_OUTSIDE_ENVELOPE, 8)]


def test_empty_segment_is_a_warning_and_not_counted() -> None:
    text = GOOD.replace("BEG*00*NE*PO123457**20261123~", "BEG*00*NE*PO123457**20261123~~")
    found = issues(read_all(text))
    assert [(i.code, i.severity, i.position.segment) for i in found] == [
        (IssueCode.EMPTY_SEGMENT, Severity.WARNING, 10)
    ]


def test_last_segment_without_terminator_is_a_warning() -> None:
    events = read_all(GOOD[:-1])
    found = issues(events)
    assert [(i.code, i.severity, i.position.tag, i.position.interchange) for i in found] == [
        (IssueCode.TRUNCATED_INPUT, Severity.WARNING, "IEA", 1)
    ]
    assert isinstance(events[-1], InterchangeEnd) and events[-1].trailer == ["IEA", "1", "000000101"]


# --- fatal problems -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (ISA[:60], IssueCode.X12_ISA_TRUNCATED),
        (ISA.replace("*>~", "**~") + "GS*PO~", IssueCode.X12_BAD_DELIMITERS),
        (ISA.replace("*>~", "*>*") + "GS*PO~", IssueCode.X12_BAD_DELIMITERS),
        (ISA.replace("ACMEVENDOR     ", "ACMEVENDOR*    ") + "GS*PO~", IssueCode.X12_ISA_INVALID),
        ("GS*PO*A*B~" + GOOD, IssueCode.X12_ISA_INVALID),
    ],
)
def test_unreadable_first_isa_raises(text: str, code: IssueCode) -> None:
    for chunks in feeds(text):
        with pytest.raises(EdiError) as info:
            list(read_x12(chunks))
        assert info.value.code is code
        assert info.value.position.tag in ("ISA", None)
        assert info.value.position.interchange == 1


def test_broken_isa_in_a_later_interchange_is_reported_and_reading_stops() -> None:
    text = GOOD + ISA.replace("*>~", "*~~") + "GS*PO~" + GOOD
    events = read_all(text)
    found = issues(events)
    assert [i.code for i in found] == [IssueCode.X12_BAD_DELIMITERS]
    assert (found[0].position.interchange, found[0].position.segment) == (2, 13)
    assert len(transactions(events)) == 2
    assert isinstance(events[-2], InterchangeEnd)


def test_truncated_later_isa_is_reported() -> None:
    events = read_all(GOOD + "\n" + ISA[:50])
    found = issues(events)
    assert [i.code for i in found] == [IssueCode.X12_ISA_TRUNCATED]
    assert found[0].position.interchange == 2


# --- random mutations never escape our error types -------------------------------------

MUTATIONS = st.one_of(
    st.tuples(st.just("truncate"), st.integers(0, len(GOOD)), st.just("")),
    st.tuples(
        st.just("delete"),
        st.sampled_from(
            [
                "SE*5*0001~",
                "SE*3*0002~",
                "GE*2*101~",
                "IEA*1*000000101~",
                "ST*850*0002~",
                "GS*PO*ACMEVENDOR*AMAZON*20261123*1200*101*X*004010~",
            ]
        ),
        st.just(""),
    ),
    st.tuples(
        st.just("count"),
        st.sampled_from(["SE*5", "SE*3", "GE*2", "IEA*1"]),
        st.sampled_from(["0", "7", "x", "", "99999999999999999999"]),
    ),
    st.tuples(
        st.just("insert"),
        st.integers(0, len(GOOD)),
        st.text(alphabet=st.characters(max_codepoint=0x2FF), min_size=1, max_size=6),
    ),
)


def mutate(kind: str, where: int | str, what: str) -> str:
    if kind == "truncate":
        assert isinstance(where, int)
        return GOOD[:where]
    if kind == "delete":
        assert isinstance(where, str)
        return GOOD.replace(where, "", 1)
    if kind == "count":
        assert isinstance(where, str)
        tag = where.split("*")[0]
        return GOOD.replace(where, f"{tag}*{what}", 1)
    assert isinstance(where, int)
    return GOOD[:where] + what + GOOD[where:]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MUTATIONS, st.integers(1, 50))
def test_mutated_files_end_in_issues_or_edi_error(mutation: tuple, chunk: int) -> None:
    text = mutate(*mutation)
    try:
        whole = shape(list(read_x12([text])))
    except EdiError:
        return
    chunked = shape(list(read_x12([text[i : i + chunk] for i in range(0, len(text), chunk)])))
    assert chunked == whole
    if text and text != GOOD and mutation[0] != "insert":
        assert any(row[0] == "issue" for row in whole)
