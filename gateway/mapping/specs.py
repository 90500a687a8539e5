"""The compiled form of an inbound mapping: value rules and group rules.

The compiler turns each rule of a ``fields:`` section into a :class:`ValueSpec` (one
canonical value: where it comes from and how it is converted) or a :class:`GroupSpec` (a
nested object or a list of objects, and how its instances are found). The inbound engine
runs them; :mod:`gateway.mapping.plan` turns each list of specs into a dispatch table once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gateway.mapping.codes import CodeList
from gateway.mapping.functions import Call
from gateway.mapping.paths import Path

#: ``up: root``: look in the whole transaction.
ROOT = "root"
#: ``each: this``: a one-item list of the current scope.
THIS = "this"
#: ``up: parent``: look in the parent hierarchy node, whatever its level.
PARENT = "parent"


@dataclass(slots=True, eq=False)
class ValueSpec:
    """Where one canonical value comes from."""

    name: str
    paths: tuple[Path, ...] = ()
    const: Any = None
    default: Any = None
    required: bool = False
    calls: tuple[Call, ...] = ()
    code: CodeList | None = None
    up: str | None = None
    within: Path | None = None  # look only in the first loop this selector starts
    members: frozenset[str] | None = None  # ... which runs while its segments have these tags
    all: bool = False
    skip_unknown: bool = False
    fallback: str | None = None  # "index" | "partner": see gateway.mapping.fallbacks
    needed: bool = False  # required once the fallback is taken (``required`` is then False)

    @property
    def scans(self) -> bool:
        """True when the value is found by the one-pass scan of its scope (the common case)."""
        return self.const is None and self.up is None and self.within is None and not self.all


@dataclass(slots=True, eq=False)
class GroupSpec:
    """A nested object (``within`` or none) or a list of objects (``each`` / ``level``)."""

    name: str
    kind: str  # "object" | "list"
    selector: Path | None = None  # each / within
    this: bool = False  # each: this
    levels: frozenset[str] | None = None  # level: O
    until: frozenset[str] = frozenset()
    members: frozenset[str] | None = None
    having: Path | None = None
    after: str | None = None  # search only after the first segment with this tag
    before: str | None = None  # search only before the first segment with this tag
    direct: bool = False  # level: only the node's children, not deeper descendants
    required: bool = False
    fields: list[ValueSpec | GroupSpec] = field(default_factory=list)
    plan: Any = field(default=None, repr=False)  # the dispatch table of ``fields``, built once
    once: frozenset[str] = frozenset()  # tags a list item reads from one segment (mapping.repeats)
    watch: bool = False  # ``once`` here or in a nested group: the engine checks the repeats

    @property
    def shares_scope(self) -> bool:
        """True for a plain nested object (``item.asin``): it reads the scope of its parent."""
        return (
            self.kind == "object"
            and self.selector is None
            and self.levels is None
            and self.after is None
            and self.before is None
        )
