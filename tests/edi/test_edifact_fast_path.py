"""The EDIFACT fast path (runs of segment texts, split on first use) against the slow path."""

from __future__ import annotations

import dataclasses
import pickle
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.edi.edifact.lazy import split_segments
from gateway.edi.edifact.reader import read_edifact
from gateway.edi.edifact.tokenizer import Tokenizer, tokenize
from gateway.edi.errors import EdiError
from gateway.edi.model import Transaction

UNB = "UNB+UNOA:3+5450534000000:14+4012345000009:14+261123:1200+77'"
# component, element, decimal, release, repetition, terminator (a backslash among them)
SEPARATOR_SETS = ["UNA:+.? '", "UNA=*,? ~", "UNA|^,\\ !", "UNA:+.\\ '", "UNA:+.? \\", "UNA\x1f\x1d.?*\x1c"]
DATA = st.text(alphabet="AB z09.-/+:'?=*~|^\\!\x1f\x1d\x1c", max_size=10)
ELEMENT = st.one_of(DATA, st.lists(DATA, min_size=2, max_size=3))
TAG = st.sampled_from(
    ["BGM", "DTM", "LIN", "QTY", "FTX", "UNS", "ÄBC", "AB", "LINE", "", "UNT", "UNE", "UNZ"]
)
SEGMENT = st.tuples(TAG, st.lists(ELEMENT, max_size=4))
LEADING = st.sampled_from(["", "", "", "", "\n", "\r\n", "  ", "\t", "\n  "])


def escape(value: str, una: str, extra: random.Random | None = None) -> str:
    """``value`` with its separators released; with ``extra``, ordinary characters released at random too."""
    release = una[6]
    specials = {una[3], una[4], una[6], una[8]}
    out = []
    for ch in value:
        if ch in specials or (extra is not None and extra.random() < 0.3):
            out.append(release)
        out.append(ch)
    return "".join(out)


def render(
    una: str, segs: list[tuple[str, list]], leads: list[str], extra: random.Random | None = None
) -> str:
    """An interchange of one message holding ``segs`` (each indented by its lead), written with ``una``."""
    component, element, terminator = una[3], una[4], una[8]

    def segment(*parts: str) -> str:
        return element.join(parts) + terminator

    lines = [una, segment("UNB", "UNOA:3", "5450534000000", "4012345000009", "261123:1200", "77")]
    lines.append(segment("UNH", "1", component.join(["ORDERS", "D", "96A", "UN"])))
    for (tag, elements), lead in zip(segs, leads, strict=False):
        parts = [tag]
        for value in elements:
            if isinstance(value, list):
                parts.append(component.join(escape(v, una, extra) for v in value))
            else:
                parts.append(escape(value, una, extra))
        lines.append(lead + segment(*parts))
    lines.append(segment("UNT", str(len(segs) + 2), "1") + segment("UNZ", "1", "77"))
    return "".join(lines)


def expected(tag: str, elements: list) -> list:
    """What the reader must give for a segment written from ``tag`` and ``elements``."""
    return [tag, *elements]


def events(text: str, chunks: list[str] | None = None, runs: bool = True) -> list:
    try:
        return list(read_edifact(chunks or [text], runs=runs))
    except EdiError as error:
        return [error.issue]


def cut(text: str, rng: random.Random) -> list[str]:
    cuts = sorted(rng.sample(range(1, len(text)), min(len(text) - 1, rng.randint(0, 12))))
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SEPARATOR_SETS),
    st.lists(SEGMENT, max_size=10),
    st.lists(LEADING, min_size=10, max_size=10),
    st.randoms(),
)
def test_fast_and_slow_paths_give_identical_segments(
    una: str, segs: list, leads: list[str], rng: random.Random
) -> None:
    """Segments with separators and release characters in their data: the fast path (runs of
    segment texts, for every segment without a '?'), the slow path (every segment split as a
    token) and a text releasing ordinary characters too (every segment the character walk) all
    read to the same events; the content segments are the data written."""
    text = render(una, segs, leads)
    fast = events(text, cut(text, rng))
    assert fast == events(text, runs=False)
    assert fast == events(text, [text])
    released = render(una, segs, leads, random.Random(rng.random()))
    assert events(released) == events(released, runs=False)
    messages = [e for e in fast if isinstance(e, Transaction)]
    if not any(tag in ("UNT", "UNE", "UNZ") for tag, _ in segs):
        [message] = messages
        body = [expected(tag, elements) for tag, elements in segs if tag or elements]  # "" is no segment
        assert message.segments[1:-1] == body
        assert [e.segments for e in events(released) if isinstance(e, Transaction)] == [message.segments]


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(SEPARATOR_SETS),
    st.lists(SEGMENT, max_size=8),
    st.integers(3, 90),
    st.sampled_from(["\r\n", "\n"]),
)
def test_wrapped_files_read_the_same_on_the_fast_and_the_slow_path(
    una: str, segs: list, width: int, newline: str
) -> None:
    """A file cut into lines of ``width`` characters (a line break anywhere, inside a tag too):
    the same events, positions included, on runs and on split tokens, and the same segments as
    the file in one line."""
    flat = render(una, segs, [""] * len(segs))
    body = flat[len(una) :]  # the UNA itself is fixed width: not cut
    wrapped = una + newline.join(body[i : i + width] for i in range(0, len(body), width)) + newline
    fast = events(wrapped)
    assert fast == events(wrapped, runs=False)
    assert [e.segments for e in fast if isinstance(e, Transaction)] == [
        e.segments for e in events(flat) if isinstance(e, Transaction)
    ]


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(SEPARATOR_SETS),
    st.lists(SEGMENT, min_size=1, max_size=8),
    st.lists(LEADING, min_size=8, max_size=8),
)
def test_feed_runs_and_feed_give_the_same_tokens(una: str, segs: list, leads: list[str]) -> None:
    text = render(una, segs, leads)
    tokenizer = Tokenizer()
    items = [*tokenizer.feed_runs(text), *tokenizer.close_runs()]
    expanded = [tok for item in items for tok in (item.tokens() if hasattr(item, "tokens") else [item])]
    assert expanded == list(tokenize([text]))


ORDERS = (
    "UNA:+.? '" + UNB + "UNH+1+ORDERS:D:96A:UN'BGM+220+PO1+9'DTM+137:20261123:102'"
    "FTX+AAI+++gate 4?: ring ?+49'LIN+1++4006381333931:EN'QTY+21:48'UNT+7+1'UNZ+1+77'"
)


def test_a_message_is_split_on_first_use_and_counted_without_splitting() -> None:
    [message] = [e for e in read_edifact([ORDERS]) if isinstance(e, Transaction)]
    assert message._pending is not None  # type: ignore[attr-defined]
    assert message.segment_count == 7
    assert message._pending is not None  # type: ignore[attr-defined]  # counting did not split
    segments = message.segments
    assert segments[2] == ["DTM", ["137", "20261123", "102"]]
    assert segments[3] == ["FTX", "AAI", "", "", "gate 4: ring +49"]
    assert message.segments is segments  # split once, then kept
    assert message.segment_count == 7


def test_the_header_alone_is_split_without_the_rest() -> None:
    [message] = [e for e in read_edifact([ORDERS]) if isinstance(e, Transaction)]
    [slow] = [e for e in read_edifact([ORDERS], runs=False) if isinstance(e, Transaction)]
    assert message.first_segments(2) == slow.segments[:2] == slow.first_segments(2)
    assert message._pending is not None  # type: ignore[attr-defined]  # the others are still text
    assert message.segments[:2] == message.first_segments(2)


def test_a_deferred_message_compares_copies_and_pickles_as_its_segments() -> None:
    [message] = [e for e in read_edifact([ORDERS]) if isinstance(e, Transaction)]
    [slow] = [e for e in read_edifact([ORDERS], runs=False) if isinstance(e, Transaction)]
    assert message == slow
    assert type(message).__name__ == "Transaction"
    copy = dataclasses.replace(message, control_number="2")
    assert copy.segments == slow.segments and copy.control_number == "2"
    assert pickle.loads(pickle.dumps(message)).segments == slow.segments
    message.segments = [["UNH"]]
    assert message.segments == [["UNH"]] and message.segment_count == 1


def test_split_segments_keeps_split_items_and_joins_a_component_separator_in_the_tag() -> None:
    assert split_segments(["AB:C+1:2", ["DTM", "3"], "QTY+21"], "+", ":") == [
        ["AB:C", ["1", "2"]],
        ["DTM", "3"],
        ["QTY", "21"],
    ]
