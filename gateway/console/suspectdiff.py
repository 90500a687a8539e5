"""The diff a suspect duplicate is decided on: its interchange's segments beside the earlier one's.

The suspect interchange is compared with the interchange whose identity (sender, receiver,
ISA13/UNB5) it carries, not file with file: in a mailbag only the interchange that changed is
shown, not the other interchanges around it. Each payload is split into segments as the raw view
does (:mod:`gateway.console.rawview`), cut into interchanges at each ``ISA``/``UNB`` (a ``UNA``
goes with the ``UNB`` after it), and the two interchanges are compared with :mod:`difflib` (a
unified diff, a few lines of context). The whitespace after an interchange's last segment is left
out, as its digest leaves it out (:mod:`gateway.edi.digest`). Escaping is left to the templates
(Jinja autoescape), as for the raw view.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from gateway.console.rawview import raw_lines

#: lines of context around each change
CONTEXT = 3
#: at most this many diff lines are shown
MAX_LINES = 2000
#: at most this many segments of a payload are read to find an interchange
MAX_SEGMENTS = 100_000
#: whitespace as the raw view shows it (line breaks inside a line as their visible symbols)
_WHITESPACE = " \t\r\n\u240a\u240d"


@dataclass(frozen=True, slots=True)
class DiffLine:
    """One line of the diff: ``kind`` is ``add``, ``remove``, ``same`` or ``hunk``."""

    kind: str
    text: str


def interchanges(data: bytes) -> list[list[str]]:
    """The segment lines of each interchange of ``data``, in order (what precedes the first
    header, if anything, is an interchange of its own)."""
    found: list[list[str]] = []
    after_una = False
    for line in raw_lines(data, MAX_SEGMENTS).lines:
        tag = line.text.lstrip(_WHITESPACE)[:3]
        starts = tag == "UNA" or (tag in ("ISA", "UNB") and not after_una)
        after_una = tag == "UNA"
        if starts or not found:
            found.append([])
        found[-1].append(line.text)
    for segments in found:
        segments[-1] = segments[-1].rstrip(_WHITESPACE)
    return found


def interchange_diff(
    earlier: bytes,
    earlier_place: int | None,
    this: bytes,
    this_place: int | None,
    earlier_name: str,
    this_name: str,
) -> list[DiffLine]:
    """The earlier payload's interchange at ``earlier_place`` (1-based) against this payload's at
    ``this_place``; a place that is ``None`` or not found compares that whole payload."""
    before = _pick(earlier, earlier_place)
    after = _pick(this, this_place)
    if earlier_place is not None and before is not None:
        earlier_name += f", interchange {earlier_place}"
    if this_place is not None and after is not None:
        this_name += f", interchange {this_place}"
    out = [DiffLine("hunk", f"{this_name} against {earlier_name}")]
    lines = _diff(
        before if before is not None else _all(earlier),
        after if after is not None else _all(this),
        earlier_name,
        this_name,
    )
    if not lines:
        lines = [DiffLine("hunk", "no difference in the segments (only in the line breaks between them)")]
    return out + lines


def segment_diff(earlier: bytes, this: bytes, earlier_name: str, this_name: str) -> list[DiffLine]:
    """The earlier payload's segments against this one's (whole files), as a unified diff."""
    return _diff(_all(earlier), _all(this), earlier_name, this_name)


def _pick(data: bytes, place: int | None) -> list[str] | None:
    if place is None:
        return None
    found = interchanges(data)
    return found[place - 1] if 1 <= place <= len(found) else None


def _all(data: bytes) -> list[str]:
    return [line.text for line in raw_lines(data).lines]


def _diff(before: list[str], after: list[str], earlier_name: str, this_name: str) -> list[DiffLine]:
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
