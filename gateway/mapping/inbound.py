"""The inbound engine: one transaction's segments -> one canonical document.

Strategy. A compiled mapping is a tree of :class:`ValueSpec` (one canonical value) and
:class:`GroupSpec` (a nested object or a list of objects). The engine walks that tree
once per transaction, carrying a :class:`Scope`: a contiguous range of segment ordinals
(the whole transaction, one PO1 loop, one N1 loop, one HL node). A value is looked up
in the current scope through the transaction's :class:`~gateway.mapping.paths.Index`
(tag -> ordinals), so the cost of a mapping is a handful of bisects per field rather
than scans of the message.

Loops:

- ``each: PO1`` - one instance per matching start segment; an instance runs until the
  next segment with the same tag, a tag listed in ``until``, a segment not in
  ``members`` (when given), or the end of the enclosing scope.
- ``within: N1[01=ST]`` - the same, but only the first instance, as a nested object.
- ``level: O`` - the X12 856 HL hierarchy: nodes linked by HL02 -> HL01 (not by
  position), each node's own segments running to the next HL. A nested ``level`` walks
  the *descendants* of the current node, so S/O/P/I and S/O/T/P/I and S/O/I all work.
  ``up: O`` looks a value up in the nearest ancestor node of that level.

The dict built this way is validated by the canonical pydantic model. Every value
remembers the segment and element it came from, so a model validation error (and any
conversion error) becomes a :class:`TranslationError` naming segment, element and field.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from gateway.edi.errors import Position
from gateway.edi.model import Transaction
from gateway.mapping.codes import CodeList
from gateway.mapping.errors import TranslationError
from gateway.mapping.functions import Call
from gateway.mapping.paths import Index, Path
from gateway.mapping.schema import Hierarchy

ROOT = "root"
THIS = "this"
PARENT = "parent"


class _SkipItem(Exception):
    """A list item whose ``skip_unknown`` code is not in its code list: leave the item out."""


@dataclass(slots=True)
class ValueSpec:
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


@dataclass(slots=True)
class GroupSpec:
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


@dataclass(slots=True)
class Node:
    """One HL (or other hierarchy) segment and its own segments ``[start, end)``."""

    id: str
    parent_id: str
    level: str
    start: int
    end: int
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)


@dataclass(slots=True)
class Scope:
    start: int
    end: int
    node: Node | None = None


class _Run:
    """The state of translating one transaction."""

    __slots__ = ("hierarchy", "index", "mapping", "n", "nodes", "positions", "record", "tx")

    def __init__(
        self, tx: Transaction, hierarchy: Hierarchy | None, mapping: str, record: bool = False
    ) -> None:
        self.record = record  # remember where each value came from (only to explain a model error)
        self.tx = tx
        self.index = Index(tx.segments, tx.delimiters)
        self.n = len(tx.segments)
        self.hierarchy = hierarchy
        self.nodes: list[Node] | None = None
        self.positions: dict[tuple[Any, ...], tuple[int, int | None]] = {}
        self.mapping = mapping

    # --- errors -----------------------------------------------------------------

    def error(
        self, message: str, seg: int | None, element: int | None, loc: tuple[Any, ...]
    ) -> TranslationError:
        position = self.tx.position(seg, element) if seg is not None else None
        return TranslationError(message, position, _dotted(loc), self.mapping)

    # --- hierarchy ----------------------------------------------------------------

    @property
    def node_tag(self) -> str | None:
        """The tag of hierarchy segments (``HL``, ``CPS``), or ``None`` without a hierarchy."""
        return self.hierarchy.segment if self.hierarchy is not None else None

    def tree(self) -> list[Node]:
        if self.nodes is None:
            self.nodes = self._build_tree()
        return self.nodes

    def node_at(self, start: int) -> Node | None:
        """The hierarchy node whose segment is ``segments[start]``."""
        for node in self.tree():
            if node.start == start:
                return node
        return None

    def _build_tree(self) -> list[Node]:
        h = self.hierarchy or Hierarchy()
        segs = self.tx.segments
        ordinals = self.index.ordinals(h.segment, 0, self.n)
        nodes: list[Node] = []
        by_id: dict[str, Node] = {}
        for k, i in enumerate(ordinals):
            seg = segs[i]
            end = ordinals[k + 1] if k + 1 < len(ordinals) else self._trailer_start()
            node = Node(_el(seg, h.id), _el(seg, h.parent), _el(seg, h.level), i, end)
            if node.id in by_id:
                raise self.error(f"hierarchy id {node.id!r} is used twice", i, h.id, ())
            if node.parent_id:
                parent = by_id.get(node.parent_id)
                if parent is None:
                    raise self.error(
                        f"parent {node.parent_id!r} is not an earlier {h.segment}", i, h.parent, ()
                    )
                node.parent = parent
                parent.children.append(node)
            by_id[node.id] = node
            nodes.append(node)
        return nodes

    def _trailer_start(self) -> int:
        # The last node runs to the summary (CTT) or the trailer (SE / UNT).
        segs = self.tx.segments
        end = self.n
        while end > 0 and segs[end - 1][0] in ("SE", "UNT", "CTT", "CNT"):
            end -= 1
        return end

    # --- the walk -----------------------------------------------------------------

    def fill(self, specs: list[ValueSpec | GroupSpec], scope: Scope, loc: tuple[Any, ...]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for spec in specs:
            if type(spec) is ValueSpec:
                value = self.value(spec, scope, loc)
                if value is not None:
                    out[spec.name] = value
            else:
                result = self.group(spec, scope, (*loc, spec.name))  # type: ignore[arg-type]
                if result is not None:
                    out[spec.name] = result
        return out

    def group(self, spec: GroupSpec, scope: Scope, loc: tuple[Any, ...]) -> Any:
        instances = self.instances(spec, scope)
        if spec.kind == "list":
            items = []
            for inst in instances:
                k = len(items)
                if self.record:
                    self.positions[(*loc, k)] = (inst.start, None)
                try:
                    items.append(self.fill(spec.fields, inst, (*loc, k)))
                except _SkipItem:
                    continue
            if not items and spec.required:
                raise self.error(f"no {_describe(spec)} found", scope.start, None, loc)
            return items
        inst = instances[0] if instances else None
        if inst is None:
            if spec.required:
                raise self.error(f"no {_describe(spec)} found", scope.start, None, loc)
            return None
        if self.record:
            self.positions[loc] = (inst.start, None)
        result = self.fill(spec.fields, inst, loc)
        return result if result or spec.required else None

    def instances(self, spec: GroupSpec, scope: Scope) -> list[Scope]:
        if spec.after is not None:
            found_after = self.index.ordinals(spec.after, scope.start, scope.end)
            if not found_after:
                return []
            scope = Scope(found_after[0] + 1, scope.end, scope.node)
        if spec.before is not None:
            found_before = self.index.ordinals(spec.before, scope.start, scope.end)
            if found_before:
                scope = Scope(scope.start, found_before[0], scope.node)
        if spec.levels is not None:
            if scope.node is None:
                candidates = [n for n in self.tree() if scope.start <= n.start < scope.end]
            elif spec.direct:
                candidates = scope.node.children
            else:
                candidates = _descendants(scope.node)
            return [Scope(n.start, n.end, n) for n in candidates if n.level in spec.levels]
        if spec.selector is None:
            return [scope]
        found: list[Scope] = []
        segs = self.tx.segments
        tag = spec.selector.tag
        for s in self.index.find(spec.selector, scope.start, scope.end):
            e = s + 1
            while e < scope.end:
                t = segs[e][0]
                if t == tag or t in spec.until or (spec.members is not None and t not in spec.members):
                    break
                e += 1
            if spec.having is not None and self.index.first(spec.having, s, e) is None:
                continue
            found.append(Scope(s, e, self.node_at(s) if tag == self.node_tag else scope.node))
            if spec.kind == "object" and spec.having is None:
                break
        return found

    def lookup_scope(self, spec: ValueSpec, scope: Scope) -> Scope | None:
        if spec.up is None:
            return scope
        if spec.up == ROOT:
            return Scope(0, self.n)
        node = scope.node.parent if scope.node is not None else None
        while node is not None and spec.up != PARENT and node.level != spec.up:
            node = node.parent
        return Scope(node.start, node.end, node) if node is not None else None

    def within_scope(self, selector: Path, members: frozenset[str] | None, scope: Scope) -> Scope | None:
        """The first loop ``selector`` starts in ``scope``: to the next such tag or a non-member."""
        start = self.index.first(selector, scope.start, scope.end)
        if start is None:
            return None
        segs = self.tx.segments
        end = start + 1
        while end < scope.end:
            tag = segs[end][0]
            if tag == selector.tag or (members is not None and tag not in members):
                break
            end += 1
        return Scope(start, end, scope.node)

    def value(self, spec: ValueSpec, scope: Scope, loc: tuple[Any, ...]) -> Any:
        if spec.const is not None:
            return spec.const
        where = scope if spec.up is None else self.lookup_scope(spec, scope)
        if spec.within is not None and where is not None:
            where = self.within_scope(spec.within, spec.members, where)
        hits: list[tuple[Any, int, int | None]] = []
        if where is not None:
            # The hot path of the engine: bisect into the tag's ordinals, test, extract.
            segs = self.tx.segments
            delimiters = self.tx.delimiters
            by_tag = self.index.by_tag
            start, end = where.start, where.end
            for path in spec.paths:
                found = by_tag.get(path.tag)
                if not found:
                    continue
                k = bisect_left(found, start) if found[0] < start else 0
                n = len(found)
                while k < n:
                    i = found[k]
                    k += 1
                    if i >= end:
                        break
                    seg = segs[i]
                    if path.simple:
                        el = path.element
                        raw: Any = seg[el] if el < len(seg) else ""  # type: ignore[operator]
                    else:
                        if path.conditions and not path.matches(seg, delimiters):
                            continue
                        raw, el = path.extract(seg, delimiters)  # an [id=..] path gives "" when absent
                    if raw and (type(raw) is str or any(raw)):
                        hits.append((raw, i, el))
                        if not spec.all:
                            break
                if hits and not spec.all:
                    break
        if not hits:
            if spec.default is not None:
                return spec.default
            if spec.required:
                wanted = " or ".join(p.text for p in spec.paths)
                raise self.error(f"required value missing: no {wanted}", scope.start, None, (*loc, spec.name))
            return [] if spec.all else None
        if spec.all:
            values = []
            for k, (raw, i, el) in enumerate(hits):
                if self.record:
                    self.positions[(*loc, spec.name, k)] = (i, el)
                values.append(self.convert(spec, raw, i, el, loc))
            return values
        raw, i, el = hits[0]
        if self.record:
            self.positions[(*loc, spec.name)] = (i, el)
        if type(raw) is str and not spec.calls and spec.code is None:
            return raw.strip()
        return self.convert(spec, raw, i, el, loc)

    def convert(self, spec: ValueSpec, raw: Any, i: int, el: int | None, loc: tuple[Any, ...]) -> Any:
        value: Any = raw
        try:
            if not spec.calls:
                value = (raw[0] if raw else "") if isinstance(raw, list) else raw
                value = value.strip()
            for call in spec.calls:
                value = call.read(value)
            if spec.code is not None:
                code = value if isinstance(value, str) else str(value)
                if spec.skip_unknown and not spec.code.knows(code):
                    raise _SkipItem
                value = spec.code.read(code)
        except ValueError as exc:
            raise self.error(str(exc), i, el, (*loc, spec.name)) from None
        return value


def _el(seg: list[Any], index: int) -> str:
    if index >= len(seg):
        return ""
    value = seg[index]
    return (value[0] if value else "") if isinstance(value, list) else value


def _descendants(node: Node) -> list[Node]:
    result: list[Node] = []
    stack = list(reversed(node.children))
    while stack:
        current = stack.pop()
        result.append(current)
        stack.extend(reversed(current.children))
    return result


def _describe(spec: GroupSpec) -> str:
    if spec.levels is not None:
        return "hierarchy level " + "/".join(sorted(spec.levels))
    if spec.selector is not None:
        return spec.selector.text
    return spec.name


def _dotted(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part + 1}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def translate_transaction(
    tx: Transaction,
    fields: list[ValueSpec | GroupSpec],
    model: type[BaseModel],
    *,
    hierarchy: Hierarchy | None = None,
    mapping: str = "",
    extra: dict[str, Any] | None = None,
) -> BaseModel:
    """Fill ``model`` from ``tx`` following compiled ``fields``.

    ``extra`` values (e.g. the partner's name) are set where the mapping left them unset.
    Raises :class:`TranslationError` when the transaction does not fit.
    """
    run = _Run(tx, hierarchy, mapping)
    data = run.fill(fields, Scope(0, run.n), ())
    if extra:
        for key, value in extra.items():
            if value is not None and data.get(key) is None and key in model.model_fields:
                data[key] = value
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        # Translation is deterministic: run again, this time noting where each value came from.
        run = _Run(tx, hierarchy, mapping, record=True)
        run.fill(fields, Scope(0, run.n), ())
        seg, el = _nearest(run.positions, loc)
        position = (
            tx.position(seg, el)
            if seg is not None
            else Position(interchange=tx.interchange.index, group=tx.group.index, transaction=tx.index)
        )
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        raw = err.get("input")
        shown = f": got {raw!r}" if raw is not None and not isinstance(raw, dict | list) else ""
        raise TranslationError(f"{err['msg']}{shown}{more}", position, _dotted(loc), mapping) from None


def _nearest(
    positions: dict[tuple[Any, ...], tuple[int, int | None]], loc: tuple[Any, ...]
) -> tuple[int | None, int | None]:
    for cut in range(len(loc), 0, -1):
        found = positions.get(loc[:cut])
        if found is not None:
            return found
    return None, None
