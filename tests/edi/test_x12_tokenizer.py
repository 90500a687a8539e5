"""The sans-IO X12 tokenizer: runs of segments, ordinals and offsets, whatever the chunking."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.edi import EdiError, IssueCode
from gateway.edi.x12.tokenizer import Run, Tokenizer, tokenize

ISA = "ISA*00*          *00*          *ZZ*ACMEVENDOR     *ZZ*AMAZON         *261123*1200*U*00401*000000101*0*P*>~"
BODY = (
    "GS*PO*A*B*20261123*1200*1*X*004010~ST*850*0001~BEG*00*NE*PO1**20261123~SE*3*0001~GE*1*1~IEA*1*000000101~"
)
TEXT = ISA + BODY


def flatten(runs: list[Run]) -> list[tuple[int, int, list[str]]]:
    """(ordinal, offset, segment) of every segment of the runs."""
    return [(run.first + i, run.offset(i), seg) for run in runs for i, seg in enumerate(run.segments)]


def chunked(text: str, sizes: list[int]) -> list[Run]:
    tokenizer = Tokenizer()
    runs: list[Run] = []
    i = 0
    for size in sizes:
        runs += tokenizer.feed(text[i : i + size])
        i += size
    runs += tokenizer.feed(text[i:])
    return runs + tokenizer.close()


def test_segments_ordinals_and_offsets() -> None:
    found = flatten(list(tokenize([TEXT])))
    assert [seg[0] for _, _, seg in found] == ["ISA", "GS", "ST", "BEG", "SE", "GE", "IEA"]
    assert [ordinal for ordinal, _, _ in found] == list(range(1, 8))
    for _, offset, seg in found:
        assert TEXT[offset:].startswith(seg[0] + "*")
    assert found[3][2] == ["BEG", "00", "NE", "PO1", "", "20261123"]
    assert found[0][2][16] == ">"


def test_offsets_skip_line_breaks_after_terminators() -> None:
    text = TEXT.replace("~", "~\r\n")
    found = flatten(list(tokenize([text])))
    assert [seg for _, _, seg in found] == [seg for _, _, seg in flatten(list(tokenize([TEXT])))]
    for _, offset, seg in found:
        assert text[offset:].startswith(seg[0] + "*")


def test_offsets_asked_out_of_order_are_still_right() -> None:
    run = next(r for r in tokenize([TEXT]) if len(r.segments) > 1)
    later, earlier = run.offset(4), run.offset(1)
    assert TEXT[later:].startswith("GE*") and TEXT[earlier:].startswith("ST*")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 30), max_size=40))
def test_any_chunking_gives_the_same_segments(sizes: list[int]) -> None:
    text = TEXT + "\r\n" + TEXT.replace("*", "|").replace("~", "\n") + "\x1a"
    assert flatten(chunked(text, sizes)) == flatten(list(tokenize([text])))


def test_one_character_at_a_time() -> None:
    assert flatten(chunked(TEXT, [1] * len(TEXT))) == flatten(list(tokenize([TEXT])))


def test_new_isa_switches_delimiters() -> None:
    second = TEXT.replace("*", "\x1d").replace("~", "\x15").replace(">", "\x1f")
    runs = list(tokenize([TEXT, second]))
    assert {r.delimiters.element for r in runs} == {"*", "\x1d"}
    segments = [seg for _, _, seg in flatten(runs)]
    assert segments[7][:16] == segments[0][:16] and segments[7][16] == "\x1f"
    assert segments[8] == ["GS", "PO", "A", "B", "20261123", "1200", "1", "X", "004010"]


def test_suffix_is_learnt_from_the_line_break_after_the_isa() -> None:
    assert next(iter(tokenize([TEXT.replace("~", "~\r\n")]))).delimiters.suffix == "\r\n"
    assert next(iter(tokenize([TEXT.replace("~", "~\n")]))).delimiters.suffix == "\n"
    assert next(iter(tokenize([TEXT]))).delimiters.suffix == ""


def test_newline_terminator_keeps_newlines_as_terminators() -> None:
    text = TEXT.replace("~", "\n")
    found = flatten(list(tokenize([text])))
    assert len(found) == 7 and found[0][2][0] == "ISA"


@pytest.mark.parametrize("tail", ["\x1a", "\x00\x00", " \r\n\t", ""])
def test_trailing_noise_is_dropped(tail: str) -> None:
    tokenizer = Tokenizer()
    runs = tokenizer.feed(TEXT + tail) + tokenizer.close()
    assert tokenizer.truncated is None
    assert len(flatten(runs)) == 7


def test_last_segment_without_terminator_is_returned_and_flagged() -> None:
    tokenizer = Tokenizer()
    runs = tokenizer.feed(TEXT[:-1] + "\r\n")
    assert flatten(runs)[-1][2][0] == "GE"
    last = tokenizer.close()
    assert flatten(last)[0][2] == ["IEA", "1", "000000101"]
    assert tokenizer.truncated is not None
    assert (tokenizer.truncated.segment, tokenizer.truncated.tag) == (7, "IEA")
    assert TEXT[tokenizer.truncated.offset :].startswith("IEA")


def test_isa_in_data_is_not_an_interchange() -> None:
    text = TEXT.replace("PO1**", "VISA*ISA*")
    found = flatten(list(tokenize([text])))
    assert found[3][2] == ["BEG", "00", "NE", "VISA", "ISA", "20261123"]


def test_nothing_but_whitespace_gives_nothing() -> None:
    assert list(tokenize(["  ", "\r\n"])) == []


@pytest.mark.parametrize(
    ("chunks", "code"),
    [
        (["UNB+UNOA"], IssueCode.X12_ISA_INVALID),
        (["IS", "B*"], IssueCode.X12_ISA_INVALID),
        ([ISA[:80]], IssueCode.X12_ISA_TRUNCATED),
    ],
)
def test_unreadable_start_raises(chunks: list[str], code: IssueCode) -> None:
    with pytest.raises(EdiError) as info:
        list(tokenize(chunks))
    assert info.value.code is code


def test_broken_later_isa_raises_after_the_runs_before_it() -> None:
    tokenizer = Tokenizer()
    runs = tokenizer.feed(TEXT + ISA.replace("*>~", "*~~") + BODY)
    assert len(flatten(runs)) == 7
    with pytest.raises(EdiError) as info:
        tokenizer.close()
    assert info.value.code is IssueCode.X12_BAD_DELIMITERS
    assert (info.value.position.interchange, info.value.position.segment) == (2, 8)


def test_feed_after_close_is_a_programming_error() -> None:
    tokenizer = Tokenizer()
    tokenizer.close()
    with pytest.raises(RuntimeError):
        tokenizer.feed(TEXT)


def test_random_chunk_sizes_with_many_interchanges() -> None:
    rng = random.Random(3)
    text = "".join(TEXT.replace("000000101", f"{n:09d}") + rng.choice(["", "\n", "\r\n"]) for n in range(20))
    sizes = [rng.randint(1, 200) for _ in range(len(text) // 50)]
    found = flatten(chunked(text, sizes))
    assert [seg[13] for _, _, seg in found if seg[0] == "ISA"] == [f"{n:09d}" for n in range(20)]
    assert [o for o, _, _ in found] == list(range(1, 141))
