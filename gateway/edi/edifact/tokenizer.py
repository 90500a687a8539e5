"""EDIFACT tokenizer: text chunks in, segments out, no I/O (the h11 way).

Strategy. :meth:`Tokenizer.feed` appends a chunk (of any size, even one character) to
a small buffer and returns every segment now complete; what is left is the start of
the next segment. :meth:`Tokenizer.close` says the input ended and flushes.
:meth:`Tokenizer.feed_runs` and :meth:`Tokenizer.close_runs` do the same but leave the
fast path's segments unsplit, in :class:`Run` objects (their texts, with what the reader
needs to find the service segments among them, :meth:`Run.flagged`); ``feed`` is
``feed_runs`` with each run expanded into its tokens (:meth:`Run.tokens`). Segments
come out as *tokens*, plain tuples ``(ordinal, offset, segment, delimiters)``:

- ``ordinal`` counts segments from 1 over the whole file (a UNA counts as one);
- ``offset`` is the character offset of the segment's first character in the text fed;
- ``segment`` is ``[tag, *elements]`` as :mod:`gateway.edi.model` describes it: an
  element is a ``str``, or a ``list[str]`` of components when it holds an (unreleased)
  component separator; release characters are resolved. Syntax 4 repetition separators
  are left in the element text;
- ``delimiters`` are the :class:`~gateway.edi.model.Delimiters` the segment was read
  with (a UNA token carries the new ones), so a reader never has to ask the tokenizer.

Each segment is found with ``str.find`` of the terminator from the segment's start.
Where the segment holds no release character (nearly always), the terminator found is
the real one: a whole stretch of such segments is cut with one ``str.split`` on the
terminator (a :class:`Run`), and ``str.split`` on the element and component separators
gives each one's elements when they are needed
(:func:`~gateway.edi.edifact.lazy.split_segments`). Only a segment holding the release
character takes the slow path: a terminator preceded by an odd run of release
characters is data, so the search goes on, and the elements are read character by
character. Carriage returns and line feeds are not data in EDIFACT (unless one is a
separator): those between segments are skipped, those inside a segment (files wrapped
at 80 columns) are dropped before the segment is split. A ``UNA`` at the start of a
segment switches the delimiters for what follows; after a ``UNZ``, a ``UNB`` written
with the default element separator goes back to the defaults (an interchange without
its own UNA), one written with the current one keeps them. Whitespace and control
characters (a DOS end-of-file mark) after the last segment are ignored; a last segment
without a terminator is returned by :meth:`close` and flagged in ``truncated``.

Raises :class:`~gateway.edi.errors.EdiError`: ``EDIFACT_UNA_INVALID`` for an
unusable UNA, ``EDIFACT_DANGLING_RELEASE`` when the input ends on a release character.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import accumulate, count, repeat
from operator import add
from typing import Any

from gateway.edi.edifact.delimiters import DEFAULT, UNA_LENGTH, parse_una
from gateway.edi.edifact.lazy import split_segments
from gateway.edi.errors import EdiError, Issue, IssueCode, Position
from gateway.edi.model import Delimiters, Segment

Token = tuple[int, int, Segment, Delimiters]

# Skipped between segments (unless a separator); the BOM starts a file concatenated into a mailbag.
_BETWEEN = " \t\r\n\x1a\x00\ufeff"
_TRAILING = "".join(chr(c) for c in range(33)) + "\x7f"  # tolerated after the last segment


class Run:
    """Segments the fast path read, as their texts: not yet split, no release character in them.

    ``raws[i]`` is segment ``ordinal + i`` without its terminator (whitespace before it and
    line breaks inside it removed). ``text`` is the region they were cut from, as read, at
    offset ``base``; ``skip`` the whitespace stripped before each segment (``""`` on the
    verbatim path, where ``raws`` is ``text`` split on the terminator).
    """

    __slots__ = ("base", "delimiters", "ordinal", "raws", "skip", "text")

    def __init__(
        self, ordinal: int, raws: list[str], text: str, base: int, delimiters: Delimiters, skip: str = ""
    ) -> None:
        self.ordinal = ordinal
        self.raws = raws
        self.text = text
        self.base = base
        self.delimiters = delimiters
        self.skip = skip

    def offsets(self) -> list[int]:
        """The offset of each segment's first character in the whole text."""
        if not self.skip:
            return list(map(add, accumulate(map(len, self.raws[:-1]), initial=0), count(self.base)))
        pieces = self.text.split(self.delimiters.segment)
        verbatim = map(add, accumulate(map(len, pieces), initial=0), count(self.base))
        skip = self.skip
        return list(map(add, verbatim, [len(piece) - len(piece.lstrip(skip)) for piece in pieces]))

    def tokens(self) -> list[Token]:
        """The run as tokens (split segments), as :meth:`Tokenizer.feed` returns them."""
        d = self.delimiters
        segments = split_segments(self.raws, d.element, d.component)
        return list(zip(count(self.ordinal), self.offsets(), segments, repeat(d)))

    def flagged(self) -> Iterator[tuple[int, int]]:
        """``(index, offset)`` of each segment that may not be plain message content, in order.

        Plain content is a tag of three ASCII letters or digits that is not a service tag
        (``UNA``, ``UNB``, ``UNG``, ``UNH``, ``UNT``, ``UNE``, ``UNZ``), followed by the
        element separator or the end of the segment: one regular-expression search over
        the run's text (whitespace before a segment skipped) finds every other segment, so
        the reader looks at those alone. A segment flagged here may still be content (a
        non-ASCII tag, a line break inside the tag): the reader judges it.
        """
        d = self.delimiters
        terminator = d.segment
        padded = terminator + self.text + terminator
        last = len(padded) - 1
        index, prev = 0, 0
        base = self.base - 1  # padded[1] is text[0]
        for match in _flag_pattern(terminator, d.element, self.skip).finditer(padded):
            at = match.start()
            if at == last:
                break
            index += padded.count(terminator, prev, at)
            prev = at
            yield index, base + match.end()


_FLAGS: dict[tuple[str, str, str], re.Pattern[str]] = {}
_LEADING: dict[tuple[str, str], re.Pattern[str]] = {}


def _flag_pattern(terminator: str, element: str, skip: str) -> re.Pattern[str]:
    """A terminator (and whitespace in ``skip``) *not* followed by a plain content tag and the
    element separator or terminator; the match ends where the segment starts."""
    key = (terminator, element, skip)
    pattern = _FLAGS.get(key)
    if pattern is None:
        t, e = re.escape(terminator), re.escape(element)
        ws = f"[{''.join(re.escape(ch) for ch in skip)}]*+" if skip else ""
        pattern = _FLAGS[key] = re.compile(f"{t}{ws}(?!(?!UN[ABGHTEZ])[A-Za-z0-9]{{3}}[{e}{t}])")
    return pattern


def _leading(terminator: str, skip: str) -> re.Pattern[str]:
    """A terminator followed by whitespace in ``skip``."""
    key = (terminator, skip)
    pattern = _LEADING.get(key)
    if pattern is None:
        ws = "".join(re.escape(ch) for ch in skip)
        pattern = _LEADING[key] = re.compile(f"{re.escape(terminator)}[{ws}]+")
    return pattern


class Tokenizer:
    """Incremental EDIFACT tokenizer; see the module docstring for the token shape."""

    def __init__(self, delimiters: Delimiters = DEFAULT) -> None:
        self._buf = ""
        self._base = 0  # offset of self._buf[0] in the whole text
        self._resume = 0  # no terminator before this index of self._buf
        self._ordinal = 0
        self._after_unz = False
        self._closed = False
        self.truncated: Position | None = None
        self._set(delimiters)

    @property
    def delimiters(self) -> Delimiters:
        """The delimiters in force for the next segment."""
        return self._delims

    def feed(self, text: str) -> list[Token]:
        """Add ``text`` and return the segments it completes (maybe none)."""
        return _expand(self.feed_runs(text))

    def close(self) -> list[Token]:
        """End of input: return what is left (a last unterminated segment, flagged in ``truncated``)."""
        return _expand(self.close_runs())

    def feed_runs(self, text: str) -> list[Token | Run]:
        """:meth:`feed`, with the fast path's segments left in :class:`Run` objects, unsplit."""
        if self._closed:
            raise RuntimeError("feed() after close()")
        self._buf = self._buf + text if self._buf else text
        return self._scan(final=False)

    def close_runs(self) -> list[Token | Run]:
        """:meth:`close`, with the fast path's segments left in :class:`Run` objects, unsplit."""
        self._closed = True
        out = self._scan(final=True)
        rest = self._buf.rstrip(self._trailing)
        if not rest:
            return out
        at = Position(segment=self._ordinal + 1, offset=self._base, tag=rest[:3])
        if self._release is not None:
            probe = self._clean(rest)
            if (len(probe) - len(probe.rstrip(self._release))) % 2:
                raise EdiError(
                    Issue(
                        IssueCode.EDIFACT_DANGLING_RELEASE,
                        f"the input ends on the release character {self._release!r}",
                        at,
                    )
                )
        self._ordinal += 1
        out.append((self._ordinal, self._base, self._split(self._clean(rest)), self._delims))
        self.truncated = at
        self._buf = ""
        return out

    # --- internals -------------------------------------------------------------

    def _set(self, delimiters: Delimiters) -> None:
        self._delims = delimiters
        seps = {delimiters.element, delimiters.component, delimiters.segment}
        if delimiters.release:
            seps.add(delimiters.release)
        self._release = delimiters.release
        self._skip = "".join(ch for ch in _BETWEEN if ch not in seps)
        self._trailing = "".join(ch for ch in _TRAILING if ch not in seps)
        self._drop_newlines = "\r" not in seps and "\n" not in seps
        markers = ["UNA"]
        if delimiters.release:
            markers.append(delimiters.release)
        if delimiters is not DEFAULT:
            markers.append("UNZ")
        self._markers = tuple(markers)

    def _clean(self, raw: str) -> str:
        if self._drop_newlines and ("\n" in raw or "\r" in raw):
            return raw.replace("\r", "").replace("\n", "")
        return raw

    def _scan(self, final: bool) -> list[Token | Run]:
        out: list[Token | Run] = []
        buf = self._buf
        n = len(buf)
        pos = 0
        resume = self._resume
        hits: dict[str, int] = {}  # where each marker next occurs in buf (see _bulk_stop)
        while True:
            if not self._after_unz:
                stop = self._bulk_stop(buf, pos, hits)
                if stop > pos:
                    pos = self._bulk(buf, pos, stop, out)
                    resume = 0
                    continue
            skip = self._skip
            while pos < n and buf[pos] in skip:
                pos += 1
            if pos >= n:
                break
            if buf.startswith("UNA", pos):
                if n - pos < UNA_LENGTH and not final:
                    break
                self._read_una(buf[pos : pos + UNA_LENGTH], pos, out)
                pos += UNA_LENGTH
                continue
            if n - pos < 3 and "UNA".startswith(buf[pos:]) and not final:
                break  # could still become a UNA
            if self._after_unz:
                if n - pos < 4 and not final:
                    break
                self._after_interchange(buf[pos : pos + 4])
            terminator = self._delims.segment
            end = buf.find(terminator, max(pos, resume))
            resume = 0
            if end == -1:
                resume = n
                break
            raw = buf[pos:end]
            release = self._release
            if release is not None and release in raw:
                while True:
                    probe = self._clean(raw)
                    if (len(probe) - len(probe.rstrip(release))) % 2 == 0:
                        break
                    end = buf.find(terminator, end + 1)
                    if end == -1:
                        break
                    raw = buf[pos:end]
                if end == -1:
                    resume = n
                    break
            if self._drop_newlines and ("\n" in raw or "\r" in raw):
                raw = raw.replace("\r", "").replace("\n", "")
            segment = self._split(raw)
            self._ordinal += 1
            out.append((self._ordinal, self._base + pos, segment, self._delims))
            if segment[0] == "UNZ":
                self._after_unz = self._delims is not DEFAULT
            pos = end + 1
        self._buf = buf[pos:]
        self._base += pos
        self._resume = max(0, resume - pos) if resume else 0
        return out

    def _bulk_stop(self, buf: str, pos: int, hits: dict[str, int]) -> int:
        """Where the fast path may run to from ``pos``: a terminator, or -1.

        The region ends before the first segment holding a release character, a
        ``UNA`` or (under custom delimiters) a ``UNZ``: those take the careful path.
        ``hits`` remembers, for this ``buf``, where each marker next occurs (``-1``:
        nowhere after); a marker is searched for again only once ``pos`` has passed its
        last hit, so the searches cost O(n) over the whole buffer however many
        segments hold a release character. (A marker cannot straddle a terminator:
        ``UNA``/``UNZ`` are letters, the release character is not the terminator.)
        """
        terminator = self._delims.segment
        stop = buf.rfind(terminator, pos)
        for marker in self._markers:
            if stop <= pos:
                break
            hit = hits.get(marker, -2)
            if hit < pos and hit != -1:
                hit = hits[marker] = buf.find(marker, pos)
            if hit != -1 and hit < stop:
                stop = buf.rfind(terminator, pos, hit)
        return stop

    def _bulk(self, buf: str, pos: int, stop: int, out: list[Any]) -> int:
        """A :class:`Run` of the segments of ``buf[pos:stop]`` (no release, UNA or UNZ in it); ``stop + 1``.

        When no segment of the region starts with whitespace and none holds a line break
        (a test of a few ``in`` searches over the region), the run is the region split on
        the terminator, at C speed; otherwise each segment is stripped first.
        """
        terminator = self._delims.segment
        region = buf[pos:stop]
        skip = self._skip
        newlines = self._drop_newlines and ("\n" in region or "\r" in region)
        if newlines or region[:1] in skip or any([ch in region and terminator + ch in region for ch in skip]):
            return self._bulk_careful(region, pos, stop, out)
        raws = region.split(terminator)
        out.append(Run(self._ordinal + 1, raws, region, self._base + pos, self._delims))
        self._ordinal += len(raws)
        return stop + 1

    def _bulk_careful(self, region: str, pos: int, stop: int, out: list[Any]) -> int:
        """:meth:`_bulk` for a region with leading whitespace or line breaks: each segment stripped.

        The whitespace after each terminator goes in one regular-expression substitution,
        line breaks inside segments (files wrapped at 80 columns) in two ``replace`` calls
        where there are any: C speed, whatever the layout. The offsets are worked out only
        when asked for (:meth:`Run.offsets`, :meth:`Run.flagged`).
        """
        d = self._delims
        terminator = d.segment
        literal = terminator.replace("\\", "\\\\")  # a backslash is special in a replacement
        text = _leading(terminator, self._skip).sub(literal, terminator + region)[1:]
        if self._drop_newlines and ("\n" in text or "\r" in text):
            text = text.replace("\r", "").replace("\n", "")
        raws = text.split(terminator)
        out.append(Run(self._ordinal + 1, raws, region, self._base + pos, d, self._skip))
        self._ordinal += len(raws)
        return stop + 1

    def _read_una(self, head: str, pos: int, out: list[Any]) -> None:
        """Switch to the delimiters of the UNA ``head`` found at ``pos`` and emit its token."""
        at = Position(segment=self._ordinal + 1, tag="UNA", offset=self._base + pos)
        delimiters = parse_una(head, at)
        self._set(delimiters)
        self._after_unz = False
        self._ordinal += 1
        out.append((self._ordinal, self._base + pos, ["UNA", head[3:]], delimiters))

    def _after_interchange(self, head: str) -> None:
        """After a UNZ under custom delimiters: a UNB with the default element separator resets them."""
        if head == "UNB" + DEFAULT.element and head != "UNB" + self._delims.element:
            self._set(DEFAULT)
        self._after_unz = False

    def _split(self, raw: str) -> Segment:
        """``[tag, *elements]`` of one segment's text (terminator and line breaks removed)."""
        d = self._delims
        release = self._release
        if release is None or release not in raw:
            parts: list = raw.split(d.element)
            component = d.component
            if component in raw:
                parts = [p.split(component) if component in p else p for p in parts]
                if type(parts[0]) is list:
                    parts[0] = component.join(parts[0])
            return parts
        return _split_released(raw, d.element, d.component, release)


def _expand(items: list[Token | Run]) -> list[Token]:
    """Tokens of what the scan gave: runs split into their tokens."""
    if not any(type(item) is Run for item in items):
        return items  # type: ignore[return-value]
    out: list[Token] = []
    for item in items:
        if type(item) is Run:
            out.extend(item.tokens())
        else:
            out.append(item)  # type: ignore[arg-type]
    return out


def _split_released(raw: str, element: str, component: str, release: str) -> Segment:
    """The slow path: walk a segment that holds release characters."""
    elements: list = []
    comps: list[str] | None = None
    cur: list[str] = []
    i, n = 0, len(raw)
    while i < n:
        ch = raw[i]
        if ch == release:
            i += 1
            if i < n:
                cur.append(raw[i])
        elif ch == element:
            text = "".join(cur)
            if comps is None:
                elements.append(text)
            else:
                comps.append(text)
                elements.append(comps if elements else component.join(comps))
                comps = None
            cur = []
        elif ch == component:
            if comps is None:
                comps = []
            comps.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    text = "".join(cur)
    if comps is None:
        elements.append(text)
    else:
        comps.append(text)
        elements.append(comps if elements else component.join(comps))
    return elements


def tokenize(chunks: Iterable[str], delimiters: Delimiters = DEFAULT) -> Iterator[Token]:
    """Tokens of a whole text given as chunks (raises as :class:`Tokenizer` does)."""
    tokenizer = Tokenizer(delimiters)
    for chunk in chunks:
        yield from tokenizer.feed(chunk)
    yield from tokenizer.close()
