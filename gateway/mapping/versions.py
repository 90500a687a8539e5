"""The versions a mapping serves: exact versions, prefixes, ranges and patterns, ranked.

A mapping file's ``versions:`` lists what it serves, each entry one of:

- an exact version: ``"004010"`` (X12 GS08 / ST03), ``"D96A"`` (EDIFACT UNH 0052+0054;
  ``D:96A`` is the same). An X12 entry of six digits also matches a version that extends it
  (``004010`` serves ``004010VICS``);
- a range: ``"004010-004060"`` serves every X12 version from 004010 to 004060 (by the
  number of the first six digits, whatever follows), ``"D96A-D01B"`` every EDIFACT
  directory from D96A to D01B (years 90-99 are 19xx, the rest 20xx);
- a pattern with ``*``: ``"0040*"``.

:func:`version_problems` checks entries when a mapping loads (an X12 mapping cannot list
``D96A``; a range must run upwards). :func:`rank` says how well an entry fits a version, so
that when several mappings serve one version the registry takes the most specific: an exact
match before a prefix, a prefix before a range, a narrower range before a wider one, any of
them before a pattern.
"""

from __future__ import annotations

import fnmatch
import re

_X12 = re.compile(r"\d{6}[A-Z0-9]*")
_EDIFACT = re.compile(r"D\d{2}[A-Z]")
_RANGE_X12 = re.compile(r"(\d{6})-(\d{6})")
_RANGE_EDIFACT = re.compile(r"(D\d{2}[A-Z])-(D\d{2}[A-Z])")

#: rank of an exact match, a prefix, a range and a pattern (higher is more specific)
EXACT, PREFIX, RANGE, PATTERN = 3, 2, 1, 0


def normalize_version(version: str) -> str:
    """``D:96A`` and ``d96a`` -> ``D96A``; X12 versions stay as they are."""
    return version.replace(":", "").replace(" ", "").upper()


def _order(version: str, standard: str) -> tuple[int, str] | None:
    """A sortable key of a version (``None`` when it is not one of ``standard``)."""
    if standard == "x12":
        return (int(version[:6]), "") if _X12.fullmatch(version) else None
    if not _EDIFACT.fullmatch(version):
        return None
    year = int(version[1:3])
    return (1900 + year if year >= 90 else 2000 + year, version[3])


def _range(spec: str) -> tuple[str, str] | None:
    found = _RANGE_X12.fullmatch(spec) or _RANGE_EDIFACT.fullmatch(spec)
    return (found.group(1), found.group(2)) if found else None


def version_problems(standard: str, specs: list[str]) -> list[tuple[int, str]]:
    """``(index, message)`` for each entry of ``specs`` that is no version of ``standard``."""
    problems = []
    example = "004010, 004010-004060 or 0040*" if standard == "x12" else "D96A, D96A-D01B or D9*"
    for i, raw in enumerate(specs):
        spec = normalize_version(str(raw))
        bounds = _range(spec)
        if bounds is not None:
            low, high = (_order(b, standard) for b in bounds)
            if low is None or high is None:
                problems.append((i, f"{raw!r} is no range of {standard} versions (e.g. {example})"))
            elif low > high:
                problems.append((i, f"the range {raw!r} runs downwards: write the lower version first"))
        elif "*" in spec:
            if not re.fullmatch(r"[A-Z0-9]*\*[A-Z0-9*]*", spec):
                problems.append((i, f"{raw!r} is not a version pattern (e.g. {example})"))
        elif _order(spec, standard) is None:
            problems.append((i, f"{raw!r} is no {standard} version (e.g. {example})"))
    return problems


def rank(spec: str, version: str, standard: str) -> tuple[int, int] | None:
    """How specifically ``spec`` serves ``version`` (greater is more specific), or ``None``."""
    p, v = normalize_version(spec), normalize_version(version)
    if v == p:
        return (EXACT, 0)
    bounds = _range(p)
    if bounds is not None:
        low, high, at = (_order(x, standard) for x in (*bounds, v))
        if low is None or high is None or at is None or not low <= at <= high:
            return None
        return (RANGE, -(_span(low, high)))
    if "*" in p:
        return (PATTERN, len(p.replace("*", ""))) if fnmatch.fnmatchcase(v, p) else None
    if len(p) >= 4 and v.startswith(p):
        return (PREFIX, len(p))
    return None


def _span(low: tuple[int, str], high: tuple[int, str]) -> int:
    """The width of a range, in a unit that orders ranges by how much they cover."""
    return (high[0] - low[0]) * 64 + (ord(high[1] or "A") - ord(low[1] or "A"))


def probes(specs: tuple[str, ...]) -> list[str]:
    """Versions worth testing two entries on: their exact versions and range bounds."""
    found: list[str] = []
    for spec in specs:
        p = normalize_version(spec)
        bounds = _range(p)
        found.extend(bounds if bounds else [p.rstrip("*")])
    return found
