"""X12 syntax: delimiters, tokenizer, envelope reader, writer, 997.

- :func:`read_x12` streams the events of decoded X12 text (``gateway.edi.reader`` calls it).
- :func:`write_x12` / :func:`serialize_segments` write interchanges and segments.
- :func:`build_997`, :func:`ack_interchange` and :func:`read_997` make and read 997s.
- :func:`read_isa` and :class:`Tokenizer` are the lower layers.

The names are imported on first use, so reading a file does not pay for importing the
writer and the acknowledgement code.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "Run": "tokenizer",
    "Tokenizer": "tokenizer",
    "tokenize": "tokenizer",
    "read_isa": "delimiters",
    "read_x12": "reader",
    "serialize_segments": "writer",
    "write_x12": "writer",
    "ack_interchange": "ack",
    "build_997": "ack",
    "read_997": "ack",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
