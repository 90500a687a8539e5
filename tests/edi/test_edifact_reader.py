"""The EDIFACT reader: events, implicit and explicit groups, and every envelope defect with its position."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.edi import parse
from gateway.edi.edifact.reader import read_edifact
from gateway.edi.errors import EdiError, Issue, IssueCode, Severity
from gateway.edi.model import GroupEnd, GroupHeader, InterchangeEnd, InterchangeHeader, Transaction

UNB = "UNB+UNOA:3+5450534000000:14+4012345000009:14+261123:1200+77'"


def orders(ref: str, po: str = "PO1", count: str = "5", trailer_ref: str | None = None) -> str:
    return (
        f"UNH+{ref}+ORDERS:D:96A:UN:EAN008'BGM+220+{po}+9'DTM+137:20261123:102'"
        f"LIN+1++4006381333931:EN'UNT+{count}+{ref if trailer_ref is None else trailer_ref}'"
    )


# segment ordinals (UNA = 1, UNB = 2): first UNH = 3, its UNT = 7, second UNH = 8, UNT = 12, UNZ = 13
# GROUPED: UNG = 3, UNH 4..UNT 8, UNH 9..UNT 13, UNE = 14, UNG = 15, UNH 16..UNT 20, UNE = 21, UNZ = 22
GOOD = "UNA:+.? '" + UNB + orders("1") + orders("2", "PO2") + "UNZ+2+77'"
GROUPED = (
    "UNA:+.? '"
    + UNB
    + "UNG+ORDERS+5450534000000:14+4012345000009:14+261123:1200+5+UN+D:96A'"
    + orders("1")
    + orders("2", "PO2")
    + "UNE+2+5'"
    + "UNG+ORDERS+5450534000000:14+4012345000009:14+261123:1200+6+UN+D:01B'"
    + orders("3", "PO3")
    + "UNE+1+6'"
    + "UNZ+2+77'"
)


def three_ways(text: str) -> list:
    """Events of ``text`` read whole, one character at a time and in random chunks; all must agree."""
    rng = random.Random(len(text))
    cuts = sorted(rng.sample(range(1, len(text)), min(len(text) - 1, 15)))
    chunks = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    ways = [list(read_edifact([text])), list(read_edifact(text)), list(read_edifact(chunks))]
    assert ways[0] == ways[1] == ways[2]
    return ways[0]


def issues(text: str) -> list[Issue]:
    return [e for e in three_ways(text) if isinstance(e, Issue)]


def test_good_interchange_streams_headers_messages_and_ends_in_order() -> None:
    events = three_ways(GOOD)
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
    assert (header.sender_id, header.sender_qualifier) == ("5450534000000", "14")
    assert (header.receiver_id, header.receiver_qualifier) == ("4012345000009", "14")
    assert (header.date, header.time, header.control_number) == ("261123", "1200", "77")
    assert header.version == "UNOA:3"
    assert header.test is False
    assert header.position.segment == 2


def test_messages_without_ung_sit_in_an_implicit_group() -> None:
    events = three_ways(GOOD)
    group = events[1]
    assert isinstance(group, GroupHeader)
    assert group.implicit and group.segment is None
    assert (group.functional_id, group.control_number) == ("", "")
    assert (group.sender_id, group.receiver_id, group.version) == ("5450534000000", "4012345000009", "D96A")
    end = events[4]
    assert isinstance(end, GroupEnd) and end.trailer is None and end.transaction_count == 2


def test_transaction_holds_unh_to_unt_with_type_version_and_reference() -> None:
    first = three_ways(GOOD)[2]
    assert isinstance(first, Transaction)
    assert (first.type, first.version, first.control_number) == ("ORDERS", "D96A", "1")
    assert [s[0] for s in first.segments] == ["UNH", "BGM", "DTM", "LIN", "UNT"]
    assert first.first_segment == 3
    assert first.position(1).segment == 4 and first.position(1).tag == "BGM"
    assert first.issues == []


def test_ung_groups_are_read_with_their_own_version_and_reference() -> None:
    events = three_ways(GROUPED)
    assert not [e for e in events if isinstance(e, Issue)]
    groups = [e for e in events if isinstance(e, GroupHeader)]
    assert [(g.index, g.functional_id, g.control_number, g.version, g.implicit) for g in groups] == [
        (1, "ORDERS", "5", "D96A", False),
        (2, "ORDERS", "6", "D01B", False),
    ]
    ends = [e for e in events if isinstance(e, GroupEnd)]
    assert [(e.transaction_count, e.trailer) for e in ends] == [
        (2, ["UNE", "2", "5"]),
        (1, ["UNE", "1", "6"]),
    ]
    transactions = [e for e in events if isinstance(e, Transaction)]
    assert [(t.group.index, t.index) for t in transactions] == [(1, 1), (1, 2), (2, 1)]
    end = events[-1]
    assert isinstance(end, InterchangeEnd) and end.group_count == 2 and end.transaction_count == 3


def test_several_interchanges_with_and_without_una() -> None:
    second = UNB.replace("+77'", "+78'") + orders("9") + "UNZ+1+78'"
    custom = "UNA=*,? ~" + GOOD[9:].replace("+", "*").replace(":", "=").replace("'", "~").replace("77", "79")
    events = three_ways(GOOD + "\n" + second + custom)
    headers = [e for e in events if isinstance(e, InterchangeHeader)]
    assert [(h.index, h.control_number) for h in headers] == [(1, "77"), (2, "78"), (3, "79")]
    assert headers[2].delimiters.element == "*" and headers[2].delimiters.decimal == ","
    assert headers[1].delimiters.element == "+"
    assert not [e for e in events if isinstance(e, Issue)]
    assert len([e for e in events if isinstance(e, Transaction)]) == 5


def test_test_indicator_and_syntax_4_repetition_separator() -> None:
    text = "UNA:+.?*'UNB+UNOC:4+A+B+261123:1200+5++++++1'" + orders("1") + "UNZ+1+5'"
    header = three_ways(text)[0]
    assert header.test is True
    assert header.delimiters.repetition == "*"
    assert three_ways(GOOD)[0].delimiters.repetition is None


def test_counts_and_numeric_references_with_leading_zeros_are_harmless() -> None:
    text = UNB.replace("+77'", "+00077'") + orders("0001", count="0005", trailer_ref="1") + "UNZ+001+77'"
    assert issues(text) == []


# --- envelope defects: code, segment ordinal, tag, element and envelope indexes ---------

DEFECTS = [
    # name, text, [(code, segment, tag, element, interchange, group, transaction)]
    (
        "UNT count",
        "UNA:+.? '" + UNB + orders("1", count="9") + "UNZ+1+77'",
        [(IssueCode.EDIFACT_UNT_COUNT_MISMATCH, 7, "UNT", 1, 1, 1, 1)],
    ),
    (
        "UNT reference",
        "UNA:+.? '" + UNB + orders("1", trailer_ref="2") + "UNZ+1+77'",
        [(IssueCode.EDIFACT_UNT_CONTROL_MISMATCH, 7, "UNT", 2, 1, 1, 1)],
    ),
    (
        "UNZ count",
        "UNA:+.? '" + UNB + orders("1") + "UNZ+3+77'",
        [(IssueCode.EDIFACT_UNZ_COUNT_MISMATCH, 8, "UNZ", 1, 1, None, None)],
    ),
    (
        "UNZ reference",
        "UNA:+.? '" + UNB + orders("1") + "UNZ+1+76'",
        [(IssueCode.EDIFACT_UNZ_CONTROL_MISMATCH, 8, "UNZ", 2, 1, None, None)],
    ),
    (
        "UNZ counts groups",
        GROUPED.replace("UNZ+2+77", "UNZ+3+77"),
        [(IssueCode.EDIFACT_UNZ_COUNT_MISMATCH, 22, "UNZ", 1, 1, None, None)],
    ),
    (
        "UNE count",
        GROUPED.replace("UNE+2+5", "UNE+3+5"),
        [(IssueCode.EDIFACT_UNE_COUNT_MISMATCH, 14, "UNE", 1, 1, 1, None)],
    ),
    (
        "UNE reference",
        GROUPED.replace("UNE+1+6", "UNE+1+7"),
        [(IssueCode.EDIFACT_UNE_CONTROL_MISMATCH, 21, "UNE", 2, 1, 2, None)],
    ),
    (
        "UNT missing before UNH",
        "UNA:+.? '" + UNB + orders("1").replace("UNT+5+1'", "") + orders("2") + "UNZ+2+77'",
        [(IssueCode.EDIFACT_UNT_MISSING, 7, "UNH", None, 1, 1, 1)],
    ),
    (
        "UNT missing before UNZ",
        "UNA:+.? '" + UNB + orders("1").replace("UNT+5+1'", "") + "UNZ+1+77'",
        [(IssueCode.EDIFACT_UNT_MISSING, 7, "UNZ", None, 1, 1, 1)],
    ),
    (
        "UNE missing",
        GROUPED.replace("UNE+1+6'", ""),
        [(IssueCode.EDIFACT_UNE_MISSING, 21, "UNZ", None, 1, 2, None)],
    ),
    (
        "UNZ missing at end",
        "UNA:+.? '" + UNB + orders("1"),
        [(IssueCode.EDIFACT_UNZ_MISSING, None, None, None, 1, None, None)],
    ),
    (
        "UNZ missing before UNB",
        "UNA:+.? '" + UNB + orders("1") + UNB.replace("77", "78") + "UNZ+0+78'",
        [(IssueCode.EDIFACT_UNZ_MISSING, 8, "UNB", None, 1, None, None)],
    ),
    (
        "unexpected UNT",
        "UNA:+.? '" + UNB + orders("1") + "UNT+2+1'UNZ+1+77'",
        [(IssueCode.EDIFACT_UNEXPECTED_UNT, 8, "UNT", None, 1, 1, None)],
    ),
    (
        "unexpected UNE",
        "UNA:+.? '" + UNB + orders("1") + "UNE+1+1'UNZ+1+77'",
        [(IssueCode.EDIFACT_UNEXPECTED_UNE, 8, "UNE", None, 1, 1, None)],
    ),
    (
        "unexpected UNZ",
        GOOD + "UNZ+2+77'",
        [(IssueCode.EDIFACT_UNEXPECTED_UNZ, 14, "UNZ", None, None, None, None)],
    ),
    (
        "segment between messages",
        "UNA:+.? '" + UNB + orders("1") + "FTX+AAI+++x'" + orders("2") + "UNZ+2+77'",
        [(IssueCode.SEGMENT_OUTSIDE_ENVELOPE, 8, "FTX", None, 1, 1, None)],
    ),
    (
        "no UNB",
        "UNA:+.? '" + orders("1"),
        [(IssueCode.EDIFACT_UNB_MISSING, 2, "UNH", None, None, None, None)],
    ),
    (
        "UNB without control reference",
        "UNB+UNOA:3+A:14+B:14+261123:1200'" + orders("1") + "UNZ+1+'",
        [(IssueCode.EDIFACT_UNB_INVALID, 1, "UNB", 5, 1, None, None)],
    ),
    (
        "UNH without type",
        UNB + "UNH+1'BGM+220+X+9'UNT+3+1'UNZ+1+77'",
        [(IssueCode.EDIFACT_UNH_INVALID, 2, "UNH", 2, 1, 1, 1)],
    ),
    (
        "UNG without reference",
        GROUPED.replace("261123:1200+6+", "261123:1200++").replace("UNE+1+6", "UNE+1+"),
        [(IssueCode.EDIFACT_UNG_INVALID, 15, "UNG", 5, 1, 2, None)],
    ),
]


@pytest.mark.parametrize(("name", "text", "expected"), DEFECTS, ids=[d[0] for d in DEFECTS])
def test_envelope_defect_is_reported_with_code_and_position(name: str, text: str, expected: list) -> None:
    found = issues(text)
    assert [
        (
            i.code,
            i.position.segment,
            i.position.tag,
            i.position.element,
            i.position.interchange,
            i.position.group,
            i.position.transaction,
        )
        for i in found
    ] == expected
    for issue in found:
        assert issue.severity is Severity.ERROR
        assert issue.message
        if issue.position.segment is not None:
            assert issue.position.offset is not None
            assert text[issue.position.offset :].startswith(issue.position.tag)


def test_message_issues_are_attached_to_their_transaction() -> None:
    text = "UNA:+.? '" + UNB + orders("1", count="4", trailer_ref="X") + orders("2") + "UNZ+2+77'"
    first, second = [e for e in three_ways(text) if isinstance(e, Transaction)]
    assert sorted(i.code.value for i in first.issues) == [
        "EDIFACT_UNT_CONTROL_MISMATCH",
        "EDIFACT_UNT_COUNT_MISMATCH",
    ]
    assert second.issues == []


def test_missing_unt_still_yields_the_message_with_its_segments() -> None:
    text = "UNA:+.? '" + UNB + orders("1").replace("UNT+5+1'", "") + "UNZ+1+77'"
    (transaction,) = [e for e in three_ways(text) if isinstance(e, Transaction)]
    assert [s[0] for s in transaction.segments] == ["UNH", "BGM", "DTM", "LIN"]
    assert [i.code for i in transaction.issues] == [IssueCode.EDIFACT_UNT_MISSING]


def test_empty_segment_is_a_warning_and_not_counted() -> None:
    text = "UNA:+.? '" + UNB + orders("1").replace("BGM", "'BGM") + "UNZ+1+77'"
    found = issues(text)
    assert [(i.code, i.severity, i.position.segment) for i in found] == [
        (IssueCode.EMPTY_SEGMENT, Severity.WARNING, 4),
    ]


def test_bad_tag_inside_a_message_is_reported_and_kept() -> None:
    text = "UNA:+.? '" + UNB + orders("1", count="6").replace("DTM", "D?:X+1'DTM") + "UNZ+1+77'"
    found = issues(text)
    assert [(i.code, i.position.segment, i.position.transaction) for i in found] == [
        (IssueCode.BAD_SEGMENT_TAG, 5, 1),
    ]


def test_missing_terminator_on_the_last_segment_is_a_warning() -> None:
    found = issues(GOOD[:-1])
    assert [(i.code, i.severity, i.position.segment) for i in found] == [
        (IssueCode.TRUNCATED_INPUT, Severity.WARNING, 13),
    ]


def test_facade_parse_reads_edifact_bytes() -> None:
    parsed = parse(("\ufeff\r\n" + GROUPED).encode())
    assert parsed.standard == "edifact"
    assert parsed.ok
    summary = parsed.summary()
    assert [g["control_number"] for g in summary["interchanges"][0]["groups"]] == ["5", "6"]
    assert summary["interchanges"][0]["groups"][0]["transactions"][0] == {
        "type": "ORDERS",
        "control_number": "1",
        "version": "D96A",
        "segment_count": 5,
    }


# --- random damage ends in our own errors, never another exception ------------------

KNOWN = (InterchangeHeader, GroupHeader, Transaction, GroupEnd, InterchangeEnd, Issue)


def mutate(text: str, kind: str, data: st.DataObject) -> str:
    if kind == "truncate":
        return text[: data.draw(st.integers(0, len(text)))]
    if kind == "delete segment":
        segs = text.split("'")
        del segs[data.draw(st.integers(0, len(segs) - 1))]
        return "'".join(segs)
    if kind == "flip digit":
        digits = [i for i, ch in enumerate(text) if ch.isdigit()]
        i = data.draw(st.sampled_from(digits))
        return text[:i] + str((int(text[i]) + 1) % 10) + text[i + 1 :]
    noise = data.draw(st.text(min_size=1, max_size=8))
    i = data.draw(st.integers(0, len(text)))
    return text[:i] + noise + text[i:]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([GOOD, GROUPED]),
    st.sampled_from(["truncate", "delete segment", "flip digit", "noise"]),
    st.data(),
)
def test_random_mutations_end_in_edi_errors_or_issues(text: str, kind: str, data: st.DataObject) -> None:
    damaged = mutate(text, kind, data)
    try:
        events = list(read_edifact([damaged]))
    except EdiError as error:
        assert error.issue.message
        return
    assert all(isinstance(e, KNOWN) for e in events)
    if kind == "delete segment" and not damaged.startswith("UNB") and damaged.count("'") < text.count("'"):
        # a segment inside the envelope went missing: never accepted silently
        assert any(isinstance(e, Issue) for e in events)
    if kind == "truncate" and "UNB+" in damaged and len(damaged) < len(text):
        assert any(isinstance(e, Issue) for e in events)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_after_an_edifact_start_never_crash(noise: bytes) -> None:
    try:
        parse(b"UNB+UNOA:3+A+B+261123:1200+1'" + noise)
    except EdiError as error:
        assert error.issue.code
