"""The raw payload as the console shows it: one segment per line, numbered as the parser counts.

Segment ordinals come from the same tokenizers the parser uses, so the ``segment`` of an
error position points at the right line. Each line is the exact text of the segment, its
terminator included; bytes that are not UTF-8 are shown as U+FFFD. Escaping is left to the
templates (Jinja autoescape). Payloads that cannot be tokenized at all are shown line by line;
canonical XML is shown by line, numbered, so an XML error's ``line`` points at the right one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from gateway.canonical.sniff import is_xml
from gateway.edi.detect import sniff, strip_preamble
from gateway.edi.edifact.tokenizer import tokenize as edifact_tokenize
from gateway.edi.errors import EdiError
from gateway.edi.model import Delimiters
from gateway.edi.x12.tokenizer import tokenize as x12_tokenize

log = logging.getLogger(__name__)

MAX_SEGMENTS = 5000


@dataclass(frozen=True, slots=True)
class RawLine:
    """One line of the raw view: the segment ordinal (``None`` when unknown) and its text."""

    ordinal: int | None
    text: str
    element_separator: str | None = None
    release: str | None = None
    terminator: str | None = None

    def split_at(self, element: int | None) -> tuple[str, str, str] | None:
        """``(before, element, after)`` for element ``element`` (1-based) of this segment, to mark it;
        ``None`` when unknown or ambiguous (a release character in the segment)."""
        sep = self.element_separator
        if (
            not sep
            or not isinstance(element, int)
            or element < 1
            or (self.release and self.release in self.text)
        ):
            return None
        body, tail = self.text, ""
        if self.terminator and body.endswith(self.terminator):
            body, tail = body[: -len(self.terminator)], self.terminator
        parts = body.split(sep)
        if element >= len(parts):
            return None
        before = sep.join(parts[:element]) + sep
        after = "".join(sep + p for p in parts[element + 1 :]) + tail
        return before, parts[element], after


@dataclass(frozen=True, slots=True)
class RawView:
    lines: list[RawLine]
    truncated: bool
    note: str | None = None


_CONTROL = {c: 0x2400 + c for c in range(32) if c != 9} | {127: 0x2421}


def _display(text: str) -> str:
    """Undecodable bytes as U+FFFD, control characters as their visible symbols (U+2400...)."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace").translate(_CONTROL)


def _x12_offsets(text: str) -> Iterator[tuple[int, int, Delimiters]]:
    for run in x12_tokenize([text]):
        for index in range(len(run.pieces)):
            yield run.first + index, run.offset(index), run.delimiters


def _edifact_offsets(text: str) -> Iterator[tuple[int, int, Delimiters]]:
    for ordinal, offset, _segment, delims in edifact_tokenize([text]):
        yield ordinal, offset, delims


def raw_lines(data: bytes, limit: int = MAX_SEGMENTS) -> RawView:
    """Split ``data`` into numbered segment lines (at most ``limit``; ``truncated`` says if more).

    Canonical XML is shown line by line, numbered as its errors are (by line).
    """
    decoded = data.decode("utf-8", "surrogateescape")
    if is_xml(data):
        xml_lines = decoded.splitlines()
        numbered = [RawLine(n, _display(line)) for n, line in enumerate(xml_lines[:limit], start=1)]
        return RawView(numbered, len(xml_lines) > limit)
    text, _skipped = strip_preamble(decoded)
    note = None
    offsets: list[tuple[int, int, Delimiters]] = []
    try:
        standard = sniff(text[:4096])
        walker = _x12_offsets(text) if standard == "x12" else _edifact_offsets(text)
        for pair in walker:
            offsets.append(pair)
            if len(offsets) > limit:
                break
    except EdiError as exc:
        note = f"the payload could not be split into segments past this point ({exc.issue.code.value})"
        log.debug("raw view: %s", exc)
    if not offsets:
        lines = text.splitlines(keepends=False)
        shown = [RawLine(None, _display(line)) for line in lines[:limit]]
        return RawView(shown, len(lines) > limit, note)
    truncated = len(offsets) > limit
    out: list[RawLine] = []
    for index, (ordinal, start, delims) in enumerate(offsets[:limit]):
        end = offsets[index + 1][1] if index + 1 < len(offsets) else len(text)
        line = _display(text[start:end].rstrip("\r\n"))
        out.append(RawLine(ordinal, line, delims.element, delims.release, delims.segment))
    return RawView(out, truncated, note)
