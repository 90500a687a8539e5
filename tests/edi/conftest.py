"""Helpers shared by the reader tests: re-writing a valid file with random whitespace."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

import pytest

from gateway.edi.edifact.tokenizer import tokenize as edifact_tokens
from gateway.edi.model import Delimiters
from gateway.edi.x12.tokenizer import tokenize as x12_runs

WHITESPACE = " \t\r\n"

#: ``respace(text, rng)``: the text with random whitespace before every segment tag.
Respace = Callable[[str, random.Random], str]


def segment_starts(text: str) -> Iterator[tuple[int, Delimiters]]:
    """The offset of each segment's first character, with the delimiters it is read with."""
    if text.lstrip().startswith("ISA"):
        for run in x12_runs([text]):
            for index in range(len(run.pieces)):
                yield run.offset(index), run.delimiters
    else:
        for _ordinal, offset, _segment, delimiters in edifact_tokens([text]):
            yield offset, delimiters


def separators(delimiters: Delimiters) -> set[str]:
    found = {delimiters.element, delimiters.component, delimiters.segment}
    found |= {c for c in (delimiters.repetition, delimiters.release) if c}
    return found


def respace(text: str, rng: random.Random) -> str:
    """``text`` pretty-printed at random: line breaks, indentation, a space after a terminator.

    Only characters that are not separators of the interchange are inserted, and only
    before a segment tag (never inside a segment).
    """
    out: list[str] = []
    last = 0
    for offset, delimiters in segment_starts(text):
        usable = [c for c in WHITESPACE if c not in separators(delimiters)]
        out.append(text[last:offset])
        out.append("".join(rng.choice(usable) for _ in range(rng.choice((0, 0, 1, 2, 4, 8)))))
        last = offset
    out.append(text[last:])
    return "".join(out)


@pytest.fixture(scope="session")
def respaced() -> Respace:
    """The :func:`respace` helper (a session fixture, so hypothesis tests can take it)."""
    return respace
