"""X12 tokenizer: text chunks in, runs of segments out, no I/O (the h11 way).

Strategy. Speed comes from doing per chunk what a naive reader does per file:
:meth:`Tokenizer.feed` appends a chunk (of any size, even one character) to the
unfinished tail of the previous one and cuts the text with one ``str.split`` on the
segment terminator; the last piece, which has no terminator yet, is kept for the next
chunk. Segments come out in :class:`Run` objects (one per stretch of text read with the
same delimiters): the segment texts, the file ordinal of the first one, the delimiters,
and the means to work out a segment's character offset *on demand*. A segment becomes
a list (``[tag, *elements]``, elements as ``str``, components *not* split) with one
more ``str.split`` on the element separator, which the reader does one segment at a
time (:attr:`Run.segments` does it for a whole run): that way only the open
transaction's lists are alive at any moment, and CPython's cyclic garbage collector,
which runs when live container objects pile up, has almost nothing to do.

Interchanges. Each ISA carries its own delimiters, so before splitting, the text is
searched (``str.find``) for an ``ISA`` that starts a segment: at the start of the input,
or after the current terminator and optional line breaks, and followed by a character
that could be a separator (its own element separator, which may differ from the
current one). Text before it is split with the current delimiters; the ISA is read at
its fixed width (:func:`~gateway.edi.x12.delimiters.read_isa`) and the delimiters
switch. An ISA is waited for until all of its 106 characters (and two more, to see
which line break follows its terminator: the ``suffix``) have arrived.

Sloppiness tolerated. Whitespace (space, tab, carriage return, line feed) at the start
of a segment (after a terminator: line breaks, the indentation of a pretty-printed file,
a space after ``~`` in a mailbag) is dropped, unless the character is itself a separator;
whitespace anywhere else is element data. Every piece is ``lstrip``-ed: that costs
about 5% of the reading time, less than testing a chunk for a terminator followed by
whitespace (a two-character search is slower than the strip). Whitespace, NULs and a DOS end-of-file
mark (0x1A) after the last terminator are ignored. A last segment with
no terminator is returned by :meth:`Tokenizer.close` and flagged in ``truncated``.

Raises :class:`~gateway.edi.errors.EdiError`: ``X12_ISA_INVALID`` when the input does
not start with an ISA or an ISA is malformed, ``X12_ISA_TRUNCATED`` when the input ends
inside an ISA, ``X12_BAD_DELIMITERS`` for unusable separators.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from gateway.edi.errors import EdiError, Issue, IssueCode, Position
from gateway.edi.model import Delimiters, Segment
from gateway.edi.x12.delimiters import ISA_LENGTH, TERMINATOR_INDEX, read_isa, usable_separator

_LINE_BREAKS = "\r\n"
_LEADING = " \t\r\n"  # dropped at the start of a segment (unless a separator)
_BETWEEN = " \t\r\n\x0b\x0c\x1a\x00\ufeff"  # skipped before an ISA
_TRAILING = "".join(chr(c) for c in range(33)) + "\x7f"  # tolerated after the last terminator
_SUFFIX_LOOKAHEAD = 2  # characters after an ISA's terminator read to learn the suffix


class Run:
    """Consecutive segments read with the same delimiters.

    ``pieces[i]`` is the text of file segment number ``first + i`` (terminator and line
    breaks removed); split it on ``delimiters.element`` to get the segment, or use
    :attr:`segments`. :meth:`offset` gives the character offset of its first character
    in the text fed to the tokenizer.
    """

    __slots__ = ("_at", "_at_offset", "_base", "_raw", "delimiters", "first", "pieces")

    def __init__(
        self, pieces: list[str], first: int, delimiters: Delimiters, raw: list[str], base: int
    ) -> None:
        self.pieces = pieces
        self.first = first
        self.delimiters = delimiters
        self._raw = raw  # the pieces as cut, line breaks included
        self._base = base
        self._at = 0  # offset cursor: piece self._at starts at self._at_offset
        self._at_offset = base

    @property
    def segments(self) -> list[Segment]:
        """All the segments of the run as lists (``[tag, *elements]``)."""
        element = self.delimiters.element
        return [piece.split(element) for piece in self.pieces]

    def offset(self, index: int) -> int:
        """The character offset of segment ``index``; cheap when asked in increasing order."""
        raw = self._raw
        if index < self._at:
            self._at, self._at_offset = 0, self._base
        start = self._at_offset + sum(map(len, raw[self._at : index])) + (index - self._at)
        self._at, self._at_offset = index, start
        return start + len(raw[index]) - len(self.pieces[index])


class Tokenizer:
    """Incremental X12 tokenizer; see the module docstring."""

    def __init__(self) -> None:
        self._buf = ""
        self._base = 0  # offset of self._buf[0] in the whole text
        self._ordinal = 0  # segments returned so far
        self._interchanges = 0  # ISAs read so far
        self._closed = False
        self._delims: Delimiters | None = None
        self._strip = ""
        self._trailing = _TRAILING
        self._skip = _BETWEEN
        self.truncated: Position | None = None
        self._failed: EdiError | None = None  # raised on the next call, after the runs before it

    @property
    def delimiters(self) -> Delimiters | None:
        """The delimiters of the current interchange (``None`` before the first ISA)."""
        return self._delims

    @property
    def segments_read(self) -> int:
        """How many segments have been returned so far (the last one's ordinal)."""
        return self._ordinal

    def feed(self, text: str) -> list[Run]:
        """Add ``text``; return the runs of segments it completes (maybe none)."""
        if self._closed:
            raise RuntimeError("feed() after close()")
        self.raise_failure()
        self._buf = self._buf + text if self._buf else text
        return self._scan(final=False)

    def close(self) -> list[Run]:
        """End of input: return what is left (a last unterminated segment, flagged in ``truncated``)."""
        self._closed = True
        self.raise_failure()
        out = self._scan(final=True)
        if self._failed is not None:
            return out
        rest = self._buf
        stripped = rest.strip(self._trailing)
        self._buf = ""
        if stripped and self._delims is not None:
            offset = self._base + rest.index(stripped[0])
            tag = stripped.split(self._delims.element, 1)[0]
            self._ordinal += 1
            self.truncated = Position(segment=self._ordinal, tag=tag[:3], offset=offset)
            out.append(Run([stripped], self._ordinal, self._delims, [stripped], offset))
        return out

    def raise_failure(self) -> None:
        """Raise the error held back so that the runs before it could be returned first."""
        if self._failed is not None:
            failed, self._failed = self._failed, None
            self._buf = ""
            raise failed

    # --- internals -------------------------------------------------------------

    def _scan(self, final: bool) -> list[Run]:
        out: list[Run] = []
        try:
            self._scan_into(out, final)
        except EdiError as error:
            if not out:
                raise
            self._failed = error  # hand over the runs before the broken ISA first
        return out

    def _scan_into(self, out: list[Run], final: bool) -> None:
        buf = self._buf
        n = len(buf)
        pos = 0
        if self._delims is None:
            pos = self._first_isa(buf, final)
            if pos < 0:
                return
            isa_at = pos
        else:
            isa_at = self._find_isa(buf, 0, final)
        while True:
            if isa_at < 0:
                pos = self._split(buf, pos, n, out, last=False)
                break
            if isa_at > pos:
                self._split(buf, pos, isa_at, out, last=True)
                pos = isa_at
            if n - pos < ISA_LENGTH + _SUFFIX_LOOKAHEAD and not final:
                break
            self._read_isa(buf, pos, out)
            pos += ISA_LENGTH
            isa_at = self._find_isa(buf, pos, final)
        self._buf = buf[pos:]
        self._base += pos

    def _first_isa(self, buf: str, final: bool) -> int:
        """Where the first ISA starts; ``-1`` while only whitespace (or a partial ``ISA``) arrived."""
        n = len(buf)
        pos = 0
        while pos < n and buf[pos] in _BETWEEN:
            pos += 1
        if pos == n:
            return -1
        if buf.startswith("ISA", pos) or (n - pos < 3 and "ISA".startswith(buf[pos:]) and not final):
            return pos if n - pos >= 3 else -1
        preview = buf[pos : pos + 20].encode("unicode_escape").decode("ascii")
        raise EdiError(
            Issue(
                IssueCode.X12_ISA_INVALID,
                f"X12 input must start with an ISA, not {preview!r}",
                Position(interchange=1, segment=1, offset=self._base + pos),
            )
        )

    def _find_isa(self, buf: str, start: int, final: bool) -> int:
        """Index of the next ISA that starts a segment at or after ``start``, else ``-1``."""
        assert self._delims is not None
        n = len(buf)
        terminator = self._delims.segment
        skip = self._skip
        k = buf.find("ISA", start)
        while k != -1:
            if k + 3 >= n and not final:
                return -1  # it sits in the unfinished tail: decide when more text arrives
            j = k - 1
            while j >= start and buf[j] in skip:
                j -= 1
            # The buffer (and the text after an ISA) always begins at a segment boundary.
            at_segment_start = j < start or buf[j] == terminator
            if at_segment_start and (k + 3 >= n or usable_separator(buf[k + 3])):
                return k
            k = buf.find("ISA", k + 1)
        return -1

    def _split(self, buf: str, start: int, end: int, out: list[Run], last: bool) -> int:
        """Cut ``buf[start:end]`` into segments; return where the unterminated tail starts.

        With ``last`` the region ends before an ISA, so its tail is only line breaks or
        whitespace and is dropped.
        """
        assert self._delims is not None
        delims = self._delims
        region = buf[start:end]
        raw = region.split(delims.segment)
        tail = raw.pop()
        if raw:
            strip = self._strip
            pieces = [p.lstrip(strip) for p in raw] if strip else raw
            out.append(Run(pieces, self._ordinal + 1, delims, raw, self._base + start))
            self._ordinal += len(pieces)
        return end if last else end - len(tail)

    def _read_isa(self, buf: str, pos: int, out: list[Run]) -> None:
        at = Position(
            interchange=self._interchanges + 1, segment=self._ordinal + 1, tag="ISA", offset=self._base + pos
        )
        delims, _ = read_isa(buf[pos : pos + ISA_LENGTH], at)
        after = buf[pos + ISA_LENGTH : pos + ISA_LENGTH + _SUFFIX_LOOKAHEAD]
        seps = {delims.element, delims.component, delims.segment, delims.repetition}
        suffix = ""
        for ch in after:
            if ch not in _LINE_BREAKS or ch in seps or ch in suffix:
                break
            suffix += ch
        if suffix:
            delims = Delimiters(
                delims.element, delims.component, delims.segment, delims.repetition, suffix=suffix
            )
        self._delims = delims
        self._interchanges += 1
        self._strip = "".join(ch for ch in _LEADING if ch not in seps)
        self._skip = "".join(ch for ch in _BETWEEN if ch not in seps)
        self._trailing = "".join(ch for ch in _TRAILING if ch not in seps)
        self._ordinal += 1
        raw = [buf[pos : pos + TERMINATOR_INDEX]]
        out.append(Run(raw, self._ordinal, delims, raw, self._base + pos))


def tokenize(chunks: Iterable[str]) -> Iterator[Run]:
    """Runs of a whole text given as chunks (raises as :class:`Tokenizer` does)."""
    tokenizer = Tokenizer()
    for chunk in chunks:
        yield from tokenizer.feed(chunk)
    yield from tokenizer.close()
