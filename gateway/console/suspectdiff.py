"""The diff a suspect duplicate is decided on: its segments beside the earlier message's.

Both payloads are split into segments as the raw view does (:mod:`gateway.console.rawview`) and
compared with :mod:`difflib` (a unified diff, a few lines of context). Escaping is left to the
templates (Jinja autoescape), as for the raw view.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from gateway.console.rawview import raw_lines

#: lines of context around each change
CONTEXT = 3
#: at most this many diff lines are shown
MAX_LINES = 2000


@dataclass(frozen=True, slots=True)
class DiffLine:
    """One line of the diff: ``kind`` is ``add``, ``remove``, ``same`` or ``hunk``."""

    kind: str
    text: str


def segment_diff(earlier: bytes, this: bytes, earlier_name: str, this_name: str) -> list[DiffLine]:
    """The earlier payload's segments against this one's, as a unified diff."""
    before = [line.text for line in raw_lines(earlier).lines]
    after = [line.text for line in raw_lines(this).lines]
    out: list[DiffLine] = []
    diff = difflib.unified_diff(before, after, earlier_name, this_name, n=CONTEXT, lineterm="")
    for n, line in enumerate(diff):
        if n >= MAX_LINES:
            out.append(DiffLine("hunk", "… (diff cut here)"))
            break
        if line.startswith(("---", "+++")):
            continue
        kind = {"@": "hunk", "+": "add", "-": "remove"}.get(line[:1], "same")
        out.append(DiffLine(kind, line))
    return out
