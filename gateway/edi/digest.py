"""A digest of each interchange's own bytes, read as a stream.

An interchange's text runs from its header's offset to the next interchange's header (or the end
of the file), with the whitespace between interchanges left out, so the same interchange has the
same digest alone in a file, first in a mailbag or in its middle. Offsets are the reader's
character offsets in the text decoded as UTF-8 with ``surrogateescape``; each piece is encoded
back the same way, so any byte is hashed as it was sent.
"""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Sequence
from pathlib import Path

_WHITESPACE = " \t\r\n"
_CHUNK = 1 << 20


def interchange_digests(path: Path, offsets: Sequence[int]) -> list[str]:
    """The sha256 (hex) of each interchange whose header starts at ``offsets`` (ascending)."""
    digests: list[str] = []
    if not offsets:
        return digests
    decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
    hasher: hashlib._Hash | None = None
    pending = ""  # whitespace held back until something follows it inside the interchange
    at = 0  # characters decoded before the current text
    index = 0  # the next interchange whose header is still ahead

    def feed(piece: str) -> None:
        nonlocal pending
        if hasher is None or not piece:
            return
        kept = piece.rstrip(_WHITESPACE)
        if kept:
            hasher.update((pending + kept).encode("utf-8", "surrogateescape"))
            pending = piece[len(kept) :]
        else:
            pending += piece

    with path.open("rb") as handle:
        while True:
            chunk = handle.read(_CHUNK)
            text = decoder.decode(chunk, final=not chunk)
            start = 0
            while index < len(offsets) and offsets[index] < at + len(text):
                cut = max(offsets[index] - at, start)
                feed(text[start:cut])
                if hasher is not None:
                    digests.append(hasher.hexdigest())
                hasher, pending, start = hashlib.sha256(), "", cut
                index += 1
            feed(text[start:])
            at += len(text)
            if not chunk:
                break
    if hasher is not None:
        digests.append(hasher.hexdigest())
    return digests
