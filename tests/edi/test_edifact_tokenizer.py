"""The EDIFACT tokenizer: separators, release character, wrapped lines, chunking, pydifact cross-check."""

from __future__ import annotations

import random
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.edi.edifact.tokenizer import Run, Tokenizer, tokenize
from gateway.edi.errors import EdiError, IssueCode

ORDERS = (
    "UNA:+.? '"
    "UNB+UNOA:3+5450534000000:14+4012345000009:14+261123:1200+77'"
    "UNH+1+ORDERS:D:96A:UN:EAN008'"
    "BGM+220+PO123456+9'"
    "DTM+137:20261123:102'"
    "NAD+BY+5450534000000::9'"
    "FTX+AAI+++Deliver to gate 4?: ring ?+49 123?'s bell??'"
    "LIN+1++4006381333931:EN'"
    "QTY+21:48'"
    "UNS+S'"
    "CNT+2:1'"
    "UNT+10+1'"
    "UNZ+1+77'"
)
CUSTOM = (
    "UNA=*,? ~\r\n"
    "UNB*UNOC=3*005435656=1*006?415160=1*060515=1434*778~\r\n"
    "UNH*117*INVOIC=D=97B=UN~\r\n"
    "MOA*203=1202,58~\r\n"
    "IMD*F**===WIDGET?*?=?~??~\r\n"
    "UNT*4*117~\r\n"
    "UNZ*1*778~\r\n"
)
FIXTURES = {"orders": ORDERS, "custom": CUSTOM}


def wrap(text: str, width: int = 80, newline: str = "\r\n") -> str:
    """Text cut into lines of ``width`` characters, as some mailboxes deliver it."""
    return newline.join(text[i : i + width] for i in range(0, len(text), width)) + newline


def three_ways(text: str, seed: int = 7) -> list[list]:
    """Tokens fed whole, one character at a time and in random chunks."""
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(text)), min(len(text) - 1, 12)))
    chunks = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    return [list(tokenize([text])), list(tokenize(text)), list(tokenize(chunks))]


def segments(text: str) -> list[list]:
    ways = three_ways(text)
    assert ways[0] == ways[1] == ways[2]
    return [token[2] for token in ways[0]]


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_every_fixture_gives_the_same_tokens_however_it_is_fed(name: str) -> None:
    whole, by_char, random_chunks = three_ways(FIXTURES[name])
    assert whole == by_char == random_chunks
    assert whole[-1][2][0] == "UNZ"


def test_default_separators_give_elements_and_components() -> None:
    segs = segments(ORDERS.removeprefix("UNA:+.? '"))
    assert segs[0] == [
        "UNB",
        ["UNOA", "3"],
        ["5450534000000", "14"],
        ["4012345000009", "14"],
        ["261123", "1200"],
        "77",
    ]
    assert segs[4] == ["NAD", "BY", ["5450534000000", "", "9"]]
    assert segs[8] == ["UNS", "S"]


def test_custom_una_switches_every_separator_and_records_the_decimal_comma() -> None:
    tokens = list(tokenize([CUSTOM]))
    assert tokens[0][2] == ["UNA", "=*,? ~"]
    delimiters = tokens[1][3]
    assert (delimiters.element, delimiters.component, delimiters.segment, delimiters.decimal) == (
        "*",
        "=",
        "~",
        ",",
    )
    assert tokens[3][2] == ["MOA", ["203", "1202,58"]]


def test_release_character_makes_separators_data() -> None:
    segs = segments(ORDERS)
    ftx = next(s for s in segs if s[0] == "FTX")
    assert ftx == ["FTX", "AAI", "", "", "Deliver to gate 4: ring +49 123's bell?"]
    imd = next(s for s in segments(CUSTOM) if s[0] == "IMD")
    assert imd == ["IMD", "F", "", ["", "", "", "WIDGET*=~?"]]


def test_release_before_an_ordinary_character_is_dropped() -> None:
    unb = segments(CUSTOM)[1]
    assert unb[3] == ["006415160", "1"]


def test_wrapped_lines_give_the_same_segments_and_true_offsets() -> None:
    for text in (ORDERS, CUSTOM.replace("\r\n", "")):
        wrapped = wrap(text, 80)
        assert segments(wrapped) == segments(text)
        for _ordinal, offset, segment, _d in tokenize([wrapped]):
            assert wrapped[offset : offset + 3] == segment[0][:3]


def test_release_then_line_break_still_releases_the_next_character() -> None:
    text = "UNB+UNOA:3+A+B+261123:1200+1'UNH+1+ORDERS:D:96A:UN'FTX+AAI+++a?\r\n+b'"
    assert segments(text)[-1] == ["FTX", "AAI", "", "", "a+b"]


def test_line_breaks_after_terminators_and_trailing_control_characters_are_ignored() -> None:
    text = ORDERS.replace("'", "'\n") + "\r\n\x1a  \t"
    assert segments(text) == segments(ORDERS)
    tokenizer = Tokenizer()
    tokenizer.feed(text)
    tokenizer.close()
    assert tokenizer.truncated is None


def test_ordinals_count_every_segment_including_una() -> None:
    tokens = list(tokenize([ORDERS]))
    assert [t[0] for t in tokens] == list(range(1, len(tokens) + 1))
    for _ordinal, offset, segment, _d in tokens:
        assert ORDERS[offset : offset + 3] == segment[0]


def test_several_interchanges_with_and_without_una() -> None:
    plain = ORDERS.removeprefix("UNA:+.? '")
    text = CUSTOM + plain + CUSTOM + ORDERS
    tags = [s[0] for s in segments(text)]
    assert tags.count("UNB") == 4
    assert tags.count("UNA") == 3
    assert tags.count("UNT") == 4
    # the second interchange, without UNA, is read with the defaults again
    unbs = [s for s in segments(text) if s[0] == "UNB"]
    assert unbs[1][1] == ["UNOA", "3"]


def test_unb_with_the_current_custom_separator_after_unz_keeps_them() -> None:
    second = CUSTOM.split("\r\n", 1)[1]  # the same interchange without its UNA
    segs = segments(CUSTOM + second)
    assert [s[0] for s in segs].count("UNT") == 2
    assert segs[-1] == ["UNZ", "1", "778"]


def test_dangling_release_at_end_of_input_is_an_error() -> None:
    text = "UNB+UNOA:3+A+B+261123:1200+1'UNZ+0+1?"
    for feed in ([text], list(text)):
        with pytest.raises(EdiError) as info:
            list(tokenize(feed))
        assert info.value.code is IssueCode.EDIFACT_DANGLING_RELEASE
        assert info.value.position.segment == 2
        assert info.value.position.offset == text.index("UNZ")


def test_released_release_at_end_is_not_dangling() -> None:
    tokenizer = Tokenizer()
    tokenizer.feed("UNB+UNOA:3+A+B+261123:1200+1'UNZ+0+1??")
    tail = tokenizer.close()
    assert tail[-1][2] == ["UNZ", "0", "1?"]
    assert tokenizer.truncated is not None and tokenizer.truncated.segment == 2


def test_invalid_una_in_the_middle_raises_with_its_position() -> None:
    text = ORDERS + "UNA:::? 'UNB+UNOA:3+A+B+261123:1200+2'"
    with pytest.raises(EdiError) as info:
        list(tokenize(text))
    assert info.value.code is IssueCode.EDIFACT_UNA_INVALID
    assert info.value.position.offset == len(ORDERS)
    assert info.value.position.segment == 14


def test_empty_segment_and_odd_tag_are_returned_for_the_reader_to_judge() -> None:
    segs = segments("UNB+UNOA:3+A+B+261123:1200+1''X:Y+1'")
    assert segs[1] == [""]
    assert segs[2] == ["X:Y", "1"]


# --- cross-check with pydifact -------------------------------------------------


def normalized(segment: list) -> list:
    """Trailing empty components dropped, a one-component composite as text (pydifact's shape)."""
    out: list = [segment[0]]
    for element in segment[1:]:
        if isinstance(element, list):
            parts = list(element)
            while parts and parts[-1] == "":
                parts.pop()
            element = parts if len(parts) > 1 else (parts[0] if parts else "")
        out.append(element)
    return out


def pydifact_segments(text: str) -> list[list]:
    from pydifact.parser import Parser

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = [[s.tag, *s.elements] for s in Parser().parse(text)]
    return [normalized(s) for s in parsed if s[0] != "UNA"]


def ours(text: str) -> list[list]:
    return [normalized(s) for s in segments(text) if s[0] != "UNA"]


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_tokenizer_agrees_with_pydifact_on_fixtures(name: str) -> None:
    assert ours(FIXTURES[name]) == pydifact_segments(FIXTURES[name])


SEPARATOR_SETS = ["UNA:+.? '", "UNA=*.? ~", "UNA|^,\\ !", "UNA\x1f\x1d.?*\x1c"]
DATA = st.text(alphabet="ABCxyz019 .,-/?:+'=*~|^\\!\x1f\x1d\x1c", max_size=12)
ELEMENT = st.one_of(DATA, st.lists(DATA, min_size=2, max_size=4))
SEGMENT = st.tuples(
    st.sampled_from(["BGM", "DTM", "NAD", "FTX", "QTY"]), st.lists(ELEMENT, min_size=1, max_size=5)
)


def escape(value: str, una: str) -> str:
    specials = {una[3], una[4], una[6], una[8]}
    return "".join(una[6] + ch if ch in specials else ch for ch in value)


def render(una: str, segs: list[tuple[str, list]]) -> str:
    component, element, terminator = una[3], una[4], una[8]
    lines = [una]
    for tag, elements in segs:
        parts = [tag]
        for value in elements:
            if isinstance(value, list):
                parts.append(component.join(escape(v, una) for v in value))
            else:
                parts.append(escape(value, una))
        lines.append(element.join(parts) + terminator)
    return "".join(lines)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(SEPARATOR_SETS), st.lists(SEGMENT, min_size=1, max_size=6))
def test_tokenizer_agrees_with_pydifact_on_random_segments(una: str, segs: list) -> None:
    text = render(una, segs)
    assert ours(text) == pydifact_segments(text)
    expected = [normalized([tag, *elements]) for tag, elements in segs]
    assert ours(text) == expected


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(SEPARATOR_SETS), st.lists(SEGMENT, min_size=1, max_size=6), st.randoms())
def test_random_chunking_never_changes_the_tokens(una: str, segs: list, rng: random.Random) -> None:
    text = render(una, segs)
    cuts = sorted(rng.sample(range(1, len(text)), min(len(text) - 1, rng.randint(1, 20))))
    chunks = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    assert list(tokenize(chunks)) == list(tokenize([text]))


PLAIN = st.text(alphabet="ABC019 .-:+", min_size=0, max_size=12)
LEADING = st.sampled_from(["", "", "", " ", "\t", "\r\n", "\n  "])


TAGS = st.sampled_from(
    ["UNS+", "LIN+", "QTY", "UNH+", "UNT+", "UNZ", "", "AB+", "ÄBC+", "A:B+", "LINE+", "Q1"]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(LEADING, TAGS, PLAIN), min_size=1, max_size=12))
def test_fast_and_careful_region_splits_give_the_same_tokens(segs: list[tuple[str, str, str]]) -> None:
    """The verbatim run of ``_bulk`` and the cleaned run of the per-segment path agree, offsets included;
    both flag exactly the segments whose tag is not three ASCII alphanumerics of message content."""
    region = "'".join(lead + tag + body for lead, tag, body in segs)
    fast_runs: list[Run] = []
    careful_runs: list[Run] = []
    Tokenizer()._bulk(region, 0, len(region), fast_runs)
    Tokenizer()._bulk_careful(region, 0, len(region), careful_runs)
    fast = [token for run in fast_runs for token in run.tokens()]
    careful = [token for run in careful_runs for token in run.tokens()]
    assert fast == careful
    for _ordinal, offset, segment, _delims in fast:
        assert region[offset:].startswith(segment[0])
    service = {"UNA", "UNB", "UNG", "UNH", "UNT", "UNE", "UNZ"}
    expected = [
        (i, token[1])
        for i, token in enumerate(careful)
        if not (len(token[2][0]) == 3 and token[2][0].isascii() and token[2][0].isalnum())
        or token[2][0] in service
    ]
    for runs in (fast_runs, careful_runs):
        assert [flag for run in runs for flag in run.flagged()] == expected


def test_a_component_separator_in_a_tag_stays_tag_text_on_the_fast_path() -> None:
    assert segments("AB:C+1:2'DTM+3'") == [["AB:C", ["1", "2"]], ["DTM", "3"]]
