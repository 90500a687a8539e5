"""The raw view: one line per segment, numbered as the parser numbers segments (property tests)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.console.rawview import raw_lines
from gateway.edi import parse

ISA = "ISA*00*          *00*          *ZZ*AMAZON         *ZZ*ACMEVENDOR     *260112*0815*U*00401*000004101*0*P*>~"
TAGS = st.sampled_from(["BEG", "REF", "DTM", "N1", "N3", "PO1", "PID", "CTT"])
ELEMENT = st.text(alphabet="ABCXYZ0123456789 .<>&\"'", max_size=8)
SUFFIX = st.sampled_from(["", "\n", "\r\n"])


def _x12(body: list[list[str]], suffix: str, se_count: int | None = None) -> str:
    segments = [
        ["GS", "PO", "AMAZON", "ACMEVENDOR", "20260112", "0815", "4101", "X", "004010"],
        ["ST", "850", "0001"],
    ]
    segments += body
    segments += [
        ["SE", str(se_count or len(body) + 2), "0001"],
        ["GE", "1", "4101"],
        ["IEA", "1", "000004101"],
    ]
    return ISA + suffix + "".join("*".join(s) + "~" + suffix for s in segments)


@settings(max_examples=60, deadline=None)
@given(body=st.lists(st.tuples(TAGS, st.lists(ELEMENT, min_size=1, max_size=4)), max_size=12), suffix=SUFFIX)
def test_x12_lines_are_the_segments_in_order(body, suffix) -> None:
    segments = [[tag, *elements] for tag, elements in body]
    text = _x12(segments, suffix)
    view = raw_lines(text.encode())
    assert view.note is None and not view.truncated
    assert [line.ordinal for line in view.lines] == list(range(1, len(segments) + 7))
    assert view.lines[0].text == ISA
    assert [line.text for line in view.lines[3 : 3 + len(segments)]] == ["*".join(s) + "~" for s in segments]
    assert "".join(line.text + suffix for line in view.lines) == text


@settings(max_examples=30, deadline=None)
@given(body=st.lists(st.tuples(TAGS, st.lists(ELEMENT, min_size=1, max_size=3)), min_size=1, max_size=8))
def test_the_parsers_error_segment_is_the_highlighted_line(body) -> None:
    segments = [[tag, *elements] for tag, elements in body]
    text = _x12(segments, "\n", se_count=len(segments) + 5)  # wrong SE01
    errors = [i for i in parse(text.encode()).errors if i.position.segment]
    assert errors
    lines = {line.ordinal: line.text for line in raw_lines(text.encode()).lines}
    for issue in errors:
        assert lines[issue.position.segment].split("*")[0] == issue.position.tag


def test_edifact_release_characters_keep_a_segment_on_one_line() -> None:
    text = "UNA:+.? 'UNB+UNOA:3+SENDER:14+RECEIVER:14+260210:0700+1'UNH+1+ORDERS:D:96A:UN'FTX+AAI+++it?'s a?+b'UNT+3+1'UNZ+1+1'"
    view = raw_lines(text.encode())
    assert [line.text for line in view.lines] == [
        "UNA:+.? '",
        "UNB+UNOA:3+SENDER:14+RECEIVER:14+260210:0700+1'",
        "UNH+1+ORDERS:D:96A:UN'",
        "FTX+AAI+++it?'s a?+b'",
        "UNT+3+1'",
        "UNZ+1+1'",
    ]
    assert [line.ordinal for line in view.lines] == [1, 2, 3, 4, 5, 6]


def test_long_payloads_are_cut_and_unreadable_ones_shown_by_line() -> None:
    text = _x12([["REF", "IA", str(n)] for n in range(50)], "\n")
    view = raw_lines(text.encode(), limit=10)
    assert view.truncated and len(view.lines) == 10
    junk = raw_lines(b"hello\nworld\xff\n")
    assert [line.text for line in junk.lines] == ["hello", "world\ufffd"]
    assert junk.note and "UNKNOWN_FORMAT" in junk.note
    assert raw_lines(b"").lines == []


def test_the_failing_element_can_be_marked() -> None:
    line = raw_lines(_x12([["BEG", "00", "NE", "PO1", "", "2026"]], "").encode()).lines[3]
    assert line.split_at(5) == ("BEG*00*NE*PO1**", "2026", "~")
    assert line.split_at(3) == ("BEG*00*NE*", "PO1", "**2026~")
    assert line.split_at(9) is None and line.split_at(None) is None
    edifact = raw_lines(
        b"UNB+UNOA:3+S:14+R:14+260210:0700+1'UNH+1+ORDERS:D:96A:UN'FTX+AAI+++a?+b'UNT+3+1'UNZ+1+1'"
    )
    assert edifact.lines[1].split_at(2) == ("UNH+1+", "ORDERS:D:96A:UN", "'")
    assert edifact.lines[2].split_at(1) is None  # a release character: not split naively
