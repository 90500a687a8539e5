"""Element paths: how a mapping file points into a segment.

The grammar (documented for coordinators in ``mappings/README.md``)::

    path     := TAG filter* address?
    TAG      := a letter then one or two letters/digits          BEG, N1, PO1, DTM
    filter   := "[" ref ("=" | "!=") code ("|" code)* "]"         [01=ST]  [01-1=137|002]  [01!=22]
              | "[id=" code ("|" code)* "]"                       [id=BP]  (product id pairs)
    ref      := NN ("-" C)?                                       element NN, component C
    address  := NN ("#" R)? ("-" C)?                              03   04-2   05#2   04#2-1

``N1[01=ST]04`` is N104 of the N1 segment whose N101 is ST (``[01!=22]``: whose element 01
is *not* 22, an empty one included); ``DTM[01-1=137]01-2`` the
date of EDIFACT ``DTM+137``; ``REF04-2`` component 2 of REF04; ``PO1[id=BP]`` the product
id whose qualifier is BP among PO1's qualifier/id pairs (PO106/PO107, PO108/PO109, ...;
the pair positions of each segment are the table :data:`ID_PAIRS`). Element numbers are
always two digits, so ``N104`` reads as tag ``N1`` and element ``04``.

A :class:`Path` is compiled once when the mapping loads (syntax errors then become
:class:`PathSyntaxError`), and resolved many times against an :class:`Index` of one
transaction's segments: a tag -> ordinals table built once per transaction, so finding
"the REF whose REF01 is VR" in a scope costs a bisect and a few comparisons, never a
scan of the whole message.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from gateway.edi.model import Delimiters, Element, Segment, components, repetitions

TAG_RE = re.compile(r"[A-Z][A-Z0-9]{1,2}")
_PATH_RE = re.compile(
    r"^(?P<tag>[A-Z][A-Z0-9]{1,2}?)(?P<filters>(?:\[[^\]]*\])*)"
    r"(?:(?P<el>\d{2})(?:#(?P<rep>\d{1,2}))?(?:-(?P<comp>\d{1,2}))?)?$"
)
_REF_RE = re.compile(r"^(?P<el>\d{2})(?:-(?P<comp>\d{1,2}))?$")
_CODE_RE = re.compile(r"^[^\[\]=|]*$")

# Where a segment keeps its product id pairs: (first qualifier element, last, step, layout).
# "pair": the qualifier element is followed by the id element (X12).
# "composite": each element is a composite id:qualifier (EDIFACT C212 in PIA/LIN).
ID_PAIRS: dict[str, dict[str, tuple[int, int, str]]] = {
    "x12": {
        "PO1": (6, 24, "pair"),
        "IT1": (6, 24, "pair"),
        "LIN": (2, 30, "pair"),
        "SLN": (9, 27, "pair"),
    },
    "edifact": {
        "PIA": (2, 6, "composite"),
        "LIN": (3, 3, "composite"),
    },
}


class PathSyntaxError(ValueError):
    """A path that cannot be read, with the reason."""


@dataclass(frozen=True, slots=True)
class Condition:
    element: int
    component: int | None
    codes: frozenset[str]
    negate: bool = False  # [01!=22]: the element is none of the codes


@dataclass(frozen=True, slots=True)
class Path:
    """A compiled path. ``element`` is ``None`` for a segment selector (a loop start)."""

    text: str
    standard: str
    tag: str
    conditions: tuple[Condition, ...]
    id_codes: tuple[str, ...] | None
    element: int | None
    repetition: int | None
    component: int | None
    simple: bool = False  # a bare element address (BEG03): no filter, repetition or component

    @property
    def selects_value(self) -> bool:
        return self.element is not None or self.id_codes is not None

    # --- matching and extraction -------------------------------------------------

    def matches(self, segment: Segment, delimiters: Delimiters) -> bool:
        """True when ``segment`` has this path's tag and passes its filters."""
        if segment[0] != self.tag:
            return False
        for cond in self.conditions:
            if (_text(segment, cond.element, cond.component, delimiters) in cond.codes) == cond.negate:
                return False
        return self.id_codes is None or self._id_element(segment, delimiters) is not None

    def extract(self, segment: Segment, delimiters: Delimiters) -> tuple[Element, int | None]:
        """The addressed value of a matching segment and the element number it sits in."""
        if self.id_codes is not None:
            found = self._id_element(segment, delimiters)
            return found if found else ("", None)  # type: ignore[return-value]
        el = self.element
        if el is None or el >= len(segment):
            return "", el
        value: Element = segment[el]
        if self.repetition is not None or self.component is not None:
            reps = repetitions(value, delimiters)
            rep = self.repetition or 1
            value = reps[rep - 1] if rep <= len(reps) else ""
        if self.component is not None:
            comps = components(value, delimiters)
            value = comps[self.component - 1] if self.component <= len(comps) else ""
        return value, el

    def _id_element(self, segment: Segment, delimiters: Delimiters) -> tuple[str, int] | None:
        first, last, layout = ID_PAIRS[self.standard][self.tag]
        assert self.id_codes is not None
        for code in self.id_codes:  # the order of codes is a preference
            if layout == "pair":
                for q in range(first, min(last, len(segment) - 2) + 1, 2):
                    if segment[q] == code and segment[q + 1]:
                        return segment[q + 1], q + 1
            else:
                for q in range(first, min(last, len(segment) - 1) + 1):
                    comps = components(segment[q], delimiters)
                    if len(comps) > 1 and comps[1] == code and comps[0]:
                        return comps[0], q
        return None


def id_pairs(segment: Segment, standard: str, delimiters: Delimiters) -> dict[str, tuple[str, int]]:
    """Every product id of a segment by qualifier (the first of each): ``{"BP": ("B0..", 7)}``.

    Read once per segment and shared by all its ``[id=..]`` paths (the inbound engine's plan).
    """
    first, last, layout = ID_PAIRS[standard][segment[0]]
    found: dict[str, tuple[str, int]] = {}
    if layout == "pair":
        for q in range(first, min(last, len(segment) - 2) + 1, 2):
            code, value = segment[q], segment[q + 1]
            if value and code and code not in found:
                found[code] = (value, q + 1)
    else:
        for q in range(first, min(last, len(segment) - 1) + 1):
            comps = components(segment[q], delimiters)
            if len(comps) > 1 and comps[0] and comps[1] not in found:
                found[comps[1]] = (comps[0], q)
    return found


def _text(segment: Segment, element: int, component: int | None, delimiters: Delimiters) -> str:
    if element >= len(segment):
        return ""
    value = segment[element]
    if component is None:
        if isinstance(value, list):
            return value[0] if value else ""
        return value
    comps = components(value, delimiters)
    return comps[component - 1] if component <= len(comps) else ""


def compile_path(text: str, standard: str) -> Path:
    """Compile a path for a standard (``"x12"`` or ``"edifact"``).

    Raises :class:`PathSyntaxError` naming what is wrong.
    """
    if not isinstance(text, str):
        raise PathSyntaxError(f"a path is text, not {type(text).__name__}")
    text = text.strip()
    match = _PATH_RE.match(text)
    if not match:
        raise PathSyntaxError(
            f"{text!r} is not a path: expected a segment tag (e.g. BEG), optional filters "
            "(e.g. [01=ST]) and a two-digit element (e.g. 03, 04-2)"
        )
    tag = match["tag"]
    conditions: list[Condition] = []
    id_codes: tuple[str, ...] | None = None
    for raw in re.findall(r"\[([^\]]*)\]", match["filters"] or ""):
        left, eq, right = raw.partition("=")
        codes = tuple(c.strip() for c in right.split("|"))
        if not eq or not all(codes) or not all(_CODE_RE.match(c) for c in codes):
            raise PathSyntaxError(f"{text!r}: filter [{raw}] must look like [01=ST], [01!=22] or [id=BP]")
        left = left.strip()
        negate = left.endswith("!")
        left = left.removesuffix("!").strip()
        if left == "id":
            if negate:
                raise PathSyntaxError(f"{text!r}: [id!=...] is not supported; name the qualifiers you want")
            if tag not in ID_PAIRS.get(standard, {}) or ID_PAIRS[standard][tag][2] == "none":
                known = ", ".join(sorted(t for t, v in ID_PAIRS.get(standard, {}).items() if v[2] != "none"))
                raise PathSyntaxError(f"{text!r}: {tag} has no product id pairs ({standard}: {known})")
            id_codes = codes
            continue
        ref = _REF_RE.match(left)
        if not ref:
            raise PathSyntaxError(f"{text!r}: filter [{raw}] must name an element like 01 or 01-1")
        test_el = int(ref["el"])
        test_comp = int(ref["comp"]) if ref["comp"] else None
        if test_el == 0 or test_comp == 0:
            raise PathSyntaxError(f"{text!r}: element and component numbers start at 1")
        conditions.append(Condition(test_el, test_comp, frozenset(codes), negate))
    el = int(match["el"]) if match["el"] else None
    rep = int(match["rep"]) if match["rep"] else None
    comp = int(match["comp"]) if match["comp"] else None
    if el == 0 or rep == 0 or comp == 0:
        raise PathSyntaxError(f"{text!r}: element, repetition and component numbers start at 1")
    if id_codes is not None and el is not None:
        raise PathSyntaxError(f"{text!r}: an [id=...] path gives the id itself; drop the element number")
    simple = not conditions and id_codes is None and el is not None and rep is None and comp is None
    return Path(text, standard, tag, tuple(conditions), id_codes, el, rep, comp, simple)


class Index:
    """The segments of one transaction with a tag -> ordinals table (built once)."""

    __slots__ = ("by_tag", "delimiters", "segments")

    def __init__(self, segments: list[Segment], delimiters: Delimiters) -> None:
        self.segments = segments
        self.delimiters = delimiters
        by_tag: defaultdict[str, list[int]] = defaultdict(list)  # read with .get() only
        for i, seg in enumerate(segments):
            by_tag[seg[0]].append(i)
        self.by_tag = by_tag

    def ordinals(self, tag: str, start: int, end: int) -> list[int]:
        """Ordinals of segments with ``tag`` in ``[start, end)``."""
        found = self.by_tag.get(tag)
        if not found:
            return []
        lo = bisect_left(found, start)
        hi = bisect_left(found, end, lo)
        return found[lo:hi]

    def find(self, path: Path, start: int, end: int) -> Iterator[int]:
        """Ordinals of segments in ``[start, end)`` that match ``path``'s tag and filters."""
        segments = self.segments
        delimiters = self.delimiters
        for i in self.ordinals(path.tag, start, end):
            if path.matches(segments[i], delimiters):
                yield i

    def first(self, path: Path, start: int, end: int) -> int | None:
        return next(self.find(path, start, end), None)
