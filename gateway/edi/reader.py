"""Read any EDI payload: decode, sniff the standard and stream events.

Bytes are decoded as UTF-8 with ``surrogateescape``, so any byte sequence decodes and
encodes back to exactly the same bytes (a Latin-1 name in a segment survives a read and
a write untouched). Input is read in chunks; nothing holds the whole file.

>>> from gateway.edi.reader import parse
>>> parsed = parse(b"ISA*00*...")            # doctest: +SKIP
>>> parsed.summary()["interchanges"][0]["control_number"]  # doctest: +SKIP
"""

from __future__ import annotations

import codecs
import io
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from gateway.edi.detect import sniff, strip_preamble
from gateway.edi.document import ParsedFile, collect
from gateway.edi.model import Event, Standard

CHUNK_SIZE = 1 << 20
_SNIFF_CHARS = 512

Source = bytes | str | os.PathLike[str] | BinaryIO


def iter_text(stream: BinaryIO, chunk_size: int = CHUNK_SIZE) -> Iterator[str]:
    """Decode a binary stream into text chunks (UTF-8, undecodable bytes kept as surrogates)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
    while True:
        block = stream.read(chunk_size)
        if not block:
            break
        text = decoder.decode(block)
        if text:
            yield text
    tail = decoder.decode(b"", final=True)
    if tail:
        yield tail


def open_source(source: Source) -> BinaryIO:
    """A binary stream for bytes, a path or an already open binary file."""
    if isinstance(source, bytes | bytearray | memoryview):
        return io.BytesIO(bytes(source))
    if isinstance(source, str | os.PathLike):
        return Path(source).open("rb")
    return source


def sniff_chunks(chunks: Iterable[str]) -> tuple[Standard, Iterator[str]]:
    """Sniff the standard from the first characters; return it and the text without preamble.

    Raises :class:`~gateway.edi.errors.EdiError` for empty, binary or unknown input.
    """
    it = iter(chunks)
    head = ""
    for chunk in it:
        head += chunk
        if len(strip_preamble(head)[0]) >= _SNIFF_CHARS:
            break
    standard = sniff(head)
    body, _ = strip_preamble(head)

    def rest() -> Iterator[str]:
        yield body
        yield from it

    return standard, rest()


def read_text_events(chunks: Iterable[str]) -> Iterator[Event]:
    """Events for decoded text chunks of any supported standard."""
    standard, text = sniff_chunks(chunks)
    if standard == "x12":
        from gateway.edi.x12.reader import read_x12

        yield from read_x12(text)
    else:
        from gateway.edi.edifact.reader import read_edifact

        yield from read_edifact(text)


def read_events(source: Source, chunk_size: int = CHUNK_SIZE) -> Iterator[Event]:
    """Stream the events of an EDI payload (bytes, a path or a binary file).

    Raises :class:`~gateway.edi.errors.EdiError` when the input cannot be read as EDI
    at all; every other problem is yielded as an :class:`~gateway.edi.errors.Issue`.
    """
    stream = open_source(source)
    try:
        yield from read_text_events(iter_text(stream, chunk_size))
    finally:
        if stream is not source:
            stream.close()


def parse(source: Source) -> ParsedFile:
    """Read a whole payload into a :class:`ParsedFile` tree (for messages, not huge files)."""
    return collect(read_events(source))
