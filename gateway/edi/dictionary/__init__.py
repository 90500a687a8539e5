"""The segment dictionary: which segments a standard has, and how wide each one is.

The facts live in data files beside this module, ``x12.yaml`` and ``edifact.yaml``, one
line per segment: how many elements it has and, for each composite element, how many
components. Each file is the union over the versions we support (X12 004010 and 005010,
EDIFACT D96A with syntax versions 3 and 4), so a count is the largest of them; the file's
header says where the counts come from and how to add a segment.

The mapping compiler asks it one question per path or element key: can ``TAG``,
``TAGnn`` or ``TAGnn-c`` exist in this standard? :func:`address_problem` answers with
``None`` or the reason, worded for an EDI coordinator ("BEG has 12 elements in X12
(BEG01 to BEG12), so there is no BEG99"). Element and component numbers start at 1, as in
the mapping language.

The files are read once per process (:func:`dictionary` is cached); a malformed file
raises :class:`ValueError` naming the file and the segment, which the tests catch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

import yaml

STANDARDS = ("x12", "edifact")
_SOURCE_DIR = "gateway/edi/dictionary"


@dataclass(frozen=True, slots=True)
class SegmentDef:
    """One segment: ``elements`` data elements, of which ``composites`` maps the composite
    ones (by position, from 1) to their number of components."""

    tag: str
    elements: int
    composites: Mapping[int, int]

    def components(self, element: int) -> int | None:
        """How many components element ``element`` has, or ``None`` for a simple element."""
        return self.composites.get(element)


@dataclass(frozen=True, slots=True)
class Dictionary:
    """The segments of one standard, as read from its data file."""

    standard: str
    title: str  # how a coordinator names the standard: "X12", "EDIFACT"
    file: str  # where the data lives, for messages: "gateway/edi/dictionary/x12.yaml"
    versions: tuple[str, ...]
    segments: Mapping[str, SegmentDef]

    def segment(self, tag: str) -> SegmentDef | None:
        return self.segments.get(tag)


@cache
def dictionary(standard: str) -> Dictionary | None:
    """The dictionary of ``standard`` (``"x12"`` or ``"edifact"``), ``None`` for any other.

    Raises :class:`ValueError` when the data file is malformed.
    """
    if standard not in STANDARDS:
        return None
    name = f"{standard}.yaml"
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when installed: ~5x faster
    return _parse(yaml.load(text, Loader=loader), f"{_SOURCE_DIR}/{name}")


def segment(standard: str, tag: str) -> SegmentDef | None:
    """The definition of ``tag`` in ``standard``, or ``None`` when it has no such segment."""
    found = dictionary(standard)
    return found.segment(tag) if found else None


def address_problem(
    standard: str, tag: str, element: int | None = None, component: int | None = None
) -> str | None:
    """Why ``TAG``, ``TAGnn`` or ``TAGnn-c`` cannot exist in ``standard``; ``None`` when it can.

    A standard without a dictionary has nothing to check against and gives ``None``.
    """
    found = dictionary(standard)
    if found is None:
        return None
    seg = found.segment(tag)
    if seg is None:
        return f"{tag} is not an {found.title} segment ({found.file} lists the known ones)"
    if element is None:
        return None
    address = f"{tag}{element:02d}"
    if element > seg.elements:
        count = "1 element" if seg.elements == 1 else f"{seg.elements} elements"
        span = f"{tag}01" if seg.elements == 1 else f"{tag}01 to {tag}{seg.elements:02d}"
        return f"{tag} has {count} in {found.title} ({span}), so there is no {address}"
    if component is None:
        return None
    components = seg.components(element)
    if components is None:
        return (
            f"{address} is a simple element in {found.title} (it has no components), "
            f"so there is no {address}-{component}: write {address}"
        )
    if component > components:
        return f"{address} has {components} components in {found.title}, so there is no {address}-{component}"
    return None


def _parse(tree: Any, file: str) -> Dictionary:
    if not isinstance(tree, dict) or not isinstance(tree.get("segments"), dict):
        raise ValueError(f"{file}: expected a mapping with standard, title, versions and segments")
    segments: dict[str, SegmentDef] = {}
    for tag, entry in tree["segments"].items():
        if not isinstance(tag, str) or not isinstance(entry, dict) or set(entry) - {"elements", "composites"}:
            shape = "{elements: N, composites: {position: components}}"
            raise ValueError(f"{file}: {tag!r}: expected {shape}")
        elements = entry.get("elements")
        composites = entry.get("composites") or {}
        if not isinstance(elements, int) or elements < 1 or not isinstance(composites, dict):
            raise ValueError(f"{file}: {tag}: elements must be a whole number from 1")
        for position, count in composites.items():
            if not isinstance(position, int) or not 1 <= position <= elements:
                raise ValueError(f"{file}: {tag}: composite position {position!r} is not one of its elements")
            if not isinstance(count, int) or count < 2:
                raise ValueError(f"{file}: {tag}{position:02d}: a composite has at least 2 components")
        segments[tag] = SegmentDef(tag, elements, MappingProxyType(dict(composites)))
    return Dictionary(
        standard=str(tree.get("standard")),
        title=str(tree.get("title")),
        file=file,
        versions=tuple(str(v) for v in tree.get("versions") or ()),
        segments=MappingProxyType(segments),
    )


__all__ = ["STANDARDS", "Dictionary", "SegmentDef", "address_problem", "dictionary", "segment"]
