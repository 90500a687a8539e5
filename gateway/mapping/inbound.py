"""The inbound engine: one transaction's segments -> one canonical document.

Strategy. A compiled mapping is a tree of :class:`ValueSpec` (one canonical value) and
:class:`GroupSpec` (a nested object or a list of objects). The engine walks that tree
once per transaction, carrying a :class:`Scope`: a contiguous range of segment ordinals
(the whole transaction, one PO1 loop, one N1 loop, one HL node). Each list of specs has a
:class:`~gateway.mapping.plan.Plan` built once: reading a scope is one pass over its
segments, each offered to the handlers of its tag (see :mod:`gateway.mapping.plan`), so
the cost of a loop is proportional to its segments, not to its fields times the message.
Values that look elsewhere (``up:``, ``within:``, ``all:``) use the transaction's
:class:`~gateway.mapping.paths.Index` (tag -> ordinals) and a bisect.

Loops:

- ``each: PO1`` - one instance per matching start segment; an instance runs until the
  next segment with the same tag, a tag listed in ``until``, a segment not in
  ``members`` (when given), or the end of the enclosing scope.
- ``within: N1[01=ST]`` - the same, but only the first instance, as a nested object.
- ``level: O`` - the X12 856 HL hierarchy: nodes linked by HL02 -> HL01 (not by
  position), each node's own segments running to the next HL. A nested ``level`` walks
  the *descendants* of the current node (``direct: true``: its children only), so
  S/O/P/I and S/O/T/P/I and S/O/I all work. ``up: O`` looks a value up in the nearest
  ancestor node of that level, ``up: parent`` in the parent node. A ``hierarchy:``
  section names another hierarchy segment (EDIFACT ``CPS``); ``each:`` over that
  segment gives its instances their node.

Each plan's one pass runs as a compiled scanner (:mod:`gateway.mapping.fastpath`): the
slot-reading code of this module is the reference it was written from. That reference runs
when recording (to explain an error) and whenever a scanner gives up on a value; tests
check that both give the same result.

The dict built this way is validated by the canonical pydantic model. When validation
fails, the transaction is read again noting where each value came from, so the error (and
any conversion error) becomes a :class:`TranslationError` naming segment, element and field.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections.abc import Mapping as MappingABC
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from gateway.edi.errors import Position
from gateway.edi.model import Transaction
from gateway.mapping.errors import TranslationError, dotted
from gateway.mapping.fallbacks import TranslationNote, apply_fallbacks, fallback_fields
from gateway.mapping.fastpath import Scanner, Unfilled, compile_scanner, items_reader
from gateway.mapping.hierarchy import Node, build_tree, descendants
from gateway.mapping.paths import Index, Path, id_pairs
from gateway.mapping.plan import (
    SMALL_SCOPE,
    Plan,
    SkipItem,
    TagHandlers,
    build_plan,
    handler_value,
    instance_end,
    place,
    place_object,
    plan_of,
)
from gateway.mapping.schema import Hierarchy
from gateway.mapping.specs import PARENT, ROOT, THIS, GroupSpec, ValueSpec

log = logging.getLogger(__name__)

__all__ = ["PARENT", "ROOT", "THIS", "GroupSpec", "ValueSpec", "translate_transaction"]


@dataclass(slots=True)
class Scope:
    start: int
    end: int
    node: Node | None = None


class _Run:
    """The state of translating one transaction."""

    __slots__ = (
        "delimiters",
        "hierarchy",
        "index",
        "mapping",
        "n",
        "nodes",
        "positions",
        "record",
        "segs",
        "tx",
    )

    def __init__(
        self, tx: Transaction, hierarchy: Hierarchy | None, mapping: str, record: bool = False
    ) -> None:
        self.record = record  # remember where each value came from (only to explain a model error)
        self.tx = tx
        self.segs = tx.segments
        self.delimiters = tx.delimiters
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
        return TranslationError(message, position, dotted(loc), self.mapping)

    def missing(self, paths: Sequence[Path], scope: Scope, loc: tuple[Any, ...]) -> TranslationError:
        """A required value is missing: named at the segment that should carry it when that
        segment is there with the element empty (``BEG03`` blank), else at the scope's start."""
        wanted = " or ".join(p.text for p in paths)
        for path in paths:
            i = self.index.first(path, scope.start, scope.end)
            if i is not None:
                return self.error(f"required value missing: {wanted} is empty", i, path.element, loc)
        return self.error(f"required value missing: no {wanted}", scope.start, None, loc)

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
        ordinals = self.index.ordinals(h.segment, 0, self.n)
        return build_tree(self.segs, ordinals, h, lambda message, i, el: self.error(message, i, el, ()))

    # --- the walk -----------------------------------------------------------------

    def fill(self, plan: Plan, scope: Scope, loc: tuple[Any, ...]) -> dict[str, Any]:
        """The values of ``plan`` read from ``scope``, as a (nested) dict.

        Raises :class:`TranslationError`, or :class:`SkipItem` for a list item to leave out.
        """
        if plan.slots and not self.record:
            scan = self.scanner(plan, loc)
            out: dict[str, Any] = scan(
                self.segs, scope.start, scope.end, self.index.ordinals, self.delimiters
            )
        else:
            out = self.read_slots(plan, scope, loc)
        for vspec, prefix in plan.others:
            value = self.value(vspec, scope, (*loc, *prefix))
            if value is not None:
                place(out, (*prefix, vspec.name), value)
        for gspec, prefix in plan.groups:
            result = self.group(gspec, scope, (*loc, *prefix, gspec.name))
            if result is not None:
                place(out, (*prefix, gspec.name), result)
        for dest, required in plan.objects:
            if self.record:
                self.positions.setdefault((*loc, *dest), (scope.start, None))
            if required:
                place_object(out, dest)
        return out

    def scanner(self, plan: Plan, loc: tuple[Any, ...]) -> Scanner:
        """The compiled scan of ``plan``'s slots (compiled on first use, then kept on the plan)."""
        scan = plan.scan
        if scan is None:
            scan = plan.scan = compile_scanner(plan, f"{self.mapping} {dotted(loc) or 'fields'}")
        return scan

    def read_slots(self, plan: Plan, scope: Scope, loc: tuple[Any, ...]) -> dict[str, Any]:
        """The reference (interpreted) read of ``plan``'s slots, noting positions when recording."""
        out: dict[str, Any] = {}
        slots = plan.slots
        if not slots:
            return out
        found: list[Any] = [None] * len(slots)
        by_tag = plan.by_tag
        segs = self.segs
        start, end = scope.start, scope.end
        if end - start <= SMALL_SCOPE:
            for i in range(start, end):
                seg = segs[i]
                handlers = by_tag.get(seg[0])
                if handlers is not None:
                    self.offer(handlers, seg, i, found)
        else:
            ordinals = self.index.ordinals
            for tag, handlers in by_tag.items():
                for i in ordinals(tag, start, end):
                    self.offer(handlers, segs[i], i, found)
        record = self.record
        for slot, hit in zip(slots, found, strict=True):
            if hit is None:
                if not slot.fallback:
                    continue
                spec = slot.spec
                if spec.default is None:
                    raise self.missing(spec.paths, scope, (*loc, *slot.dest))
                value: Any = spec.default
            else:
                raw = hit[1]
                if record:
                    self.positions[(*loc, *slot.dest)] = (hit[2], hit[3])
                read = slot.read
                if read is None:
                    value = raw.strip() if type(raw) is str else (raw[0] if raw else "").strip()
                else:
                    try:
                        value = read(raw)
                    except ValueError as exc:
                        raise self.error(str(exc), hit[2], hit[3], (*loc, *slot.dest)) from None
            head = slot.head
            if not head:
                out[slot.key] = value
            elif len(head) == 1:
                inner = out.get(head[0])
                if inner is None:
                    inner = out[head[0]] = {}
                inner[slot.key] = value
            else:
                place(out, slot.dest, value)
        return out

    def offer(self, handlers: TagHandlers, seg: list[Any], i: int, found: list[Any]) -> None:
        """Let each handler of ``seg``'s tag take its value, if its slot has none as good yet."""
        size = len(seg)
        for slot, priority, el in handlers.elements:
            current = found[slot]
            if (current is None or current[0] > priority) and el < size:
                raw: Any = seg[el]
                if raw and (type(raw) is str or any(raw)):
                    found[slot] = (priority, raw, i, el)
        if handlers.ids:
            pairs = id_pairs(seg, self.tx.standard, self.delimiters)
            for slot, priority, codes in handlers.ids:
                current = found[slot]
                if current is not None and current[0] <= priority:
                    continue
                for code in codes:  # the order of the qualifiers is a preference
                    hit = pairs.get(code)
                    if hit is not None:
                        found[slot] = (priority, hit[0], i, hit[1])
                        break
        for h in handlers.others:
            current = found[h.slot]
            if current is not None and current[0] <= h.priority:
                continue
            other = handler_value(h, seg, self.delimiters)
            if other is not None:
                found[h.slot] = (h.priority, other[0], i, other[1])

    def check_once(self, spec: GroupSpec, scope: Scope, loc: tuple[Any, ...]) -> None:
        """Refuse an item of list ``spec`` holding two segments of a kind it reads once (mapping.repeats)."""
        ordinals = self.index.ordinals
        # a hierarchy level's nodes lie outside the parent node's own segments: count them all
        start, end = (scope.start, scope.end) if spec.levels is None else (0, self.n)
        tags = [tag for tag in spec.once if len(ordinals(tag, start, end)) > 1]
        if not tags:
            return
        for inst in self.instances(spec, scope):
            seconds = [
                (found[1], tag) for tag in tags if len(found := ordinals(tag, inst.start, inst.end)) > 1
            ]
            if seconds:
                at, tag = min(seconds)
                raise self.error(
                    f"a second {tag} in one {_describe(spec)} loop: the mapping reads one {tag} "
                    f"per item of {spec.name}, so this one would be lost",
                    at,
                    None,
                    loc,
                )

    def check_repeats(self, groups: list[GroupSpec], scope: Scope, loc: tuple[Any, ...]) -> None:
        """Run :meth:`check_once` over every list of ``groups`` and their nested lists, before
        either engine reads (the fused list readers read nested lists without coming here)."""
        for spec in groups:
            if not spec.watch:
                continue
            here = (*loc, spec.name)
            if spec.once:
                self.check_once(spec, scope, here)
            inner = [g for g in spec.fields if isinstance(g, GroupSpec) and g.watch]
            if inner:
                for k, inst in enumerate(self.instances(spec, scope)):
                    self.check_repeats(inner, inst, (*here, k) if spec.kind == "list" else here)

    def group(self, spec: GroupSpec, scope: Scope, loc: tuple[Any, ...]) -> Any:
        if spec.kind == "list" and not self.record:
            read = plan_of(spec).items  # built once: None until then, False when not plain
            if read is None:
                read = items_reader(spec, f"{self.mapping} {dotted(loc)}")
            if read:  # a plain loop (PO1, LIN with its TAX): one call for the lot
                return read(self.segs, scope.start, scope.end, self.index.ordinals, self.delimiters)
        instances = self.instances(spec, scope)
        plan = plan_of(spec)
        if spec.kind == "list":
            items: list[Any] = []
            if plan.slots_only and not self.record:  # the common loop (PO1, LIN): one call per item
                scan = self.scanner(plan, loc)
                segs, ordinals, delimiters = self.segs, self.index.ordinals, self.delimiters
                for inst in instances:
                    try:
                        items.append(scan(segs, inst.start, inst.end, ordinals, delimiters))
                    except SkipItem:
                        continue
                instances = []
            for inst in instances:
                k = len(items)
                if self.record:
                    self.positions[(*loc, k)] = (inst.start, None)
                try:
                    items.append(self.fill(plan, inst, (*loc, k)))
                except SkipItem:
                    continue
            if not items and spec.required:
                raise self.error(f"no {_describe(spec)} found", scope.start, None, loc)
            return items
        first = instances[0] if instances else None
        if first is None:
            if spec.required:
                raise self.error(f"no {_describe(spec)} found", scope.start, None, loc)
            return None
        if self.record:
            self.positions[loc] = (first.start, None)
        result = self.fill(plan, first, loc)
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
                candidates = descendants(scope.node)
            return [Scope(n.start, n.end, n) for n in candidates if n.level in spec.levels]
        if spec.selector is None:
            return [scope]
        found: list[Scope] = []
        segs = self.segs
        selector = spec.selector
        tag = selector.tag
        until, members, having = spec.until, spec.members, spec.having
        hierarchy = tag == self.node_tag
        start, end = scope.start, scope.end
        if selector.conditions or selector.id_codes is not None:
            starts: Any = self.index.find(selector, start, end)
        else:
            starts = self.index.ordinals(tag, start, end)
        for s in starts:
            e = instance_end(segs, s, end, tag, until, members)
            if having is not None and self.index.first(having, s, e) is None:
                continue
            found.append(Scope(s, e, self.node_at(s) if hierarchy else scope.node))
            if spec.kind == "object" and having is None:
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
                        raw: Any = seg[el] if el < len(seg) else ""  # type: ignore[operator, index]
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
                raise self.missing(spec.paths, scope, (*loc, spec.name))
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
                    raise SkipItem
                value = spec.code.read(code)
        except ValueError as exc:
            raise self.error(str(exc), i, el, (*loc, spec.name)) from None
        return value


def _describe(spec: GroupSpec) -> str:
    if spec.levels is not None:
        return "hierarchy level " + "/".join(sorted(spec.levels))
    if spec.selector is not None:
        return spec.selector.text
    return spec.name


def read_fields(
    tx: Transaction,
    plan: Plan,
    *,
    hierarchy: Hierarchy | None = None,
    mapping: str = "",
    reference: bool = False,
) -> dict[str, Any]:
    """The values ``plan`` reads from ``tx`` as a nested dict, before the canonical model checks them.

    Raises :class:`TranslationError` when a value is missing or does not convert.
    """
    run = _Run(tx, hierarchy, mapping, record=reference)
    run.check_repeats([group for group, _ in plan.groups], Scope(0, run.n), ())
    try:
        return run.fill(plan, Scope(0, run.n), ())
    except (ValueError, Unfilled):
        # A scanner met a value it cannot convert or missed a required one: read again with
        # the reference reader, which names the segment, element and field.
        run = _Run(tx, hierarchy, mapping, record=True)
        data = run.fill(plan, Scope(0, run.n), ())
        log.error("%s: the compiled scanner failed where the reference reader did not", mapping or "mapping")
        return data


def translate_transaction(
    tx: Transaction,
    fields: list[ValueSpec | GroupSpec],
    model: type[BaseModel],
    *,
    hierarchy: Hierarchy | None = None,
    mapping: str = "",
    extra: dict[str, Any] | None = None,
    plan: Plan | None = None,
    reference: bool = False,
    defaults: MappingABC[str, Any] | None = None,
    notes: list[TranslationNote] | None = None,
) -> BaseModel:
    """Fill ``model`` from ``tx`` following compiled ``fields`` (``plan``: their plan, if built).

    ``extra`` values (e.g. the partner's name) are set where the mapping left them unset.
    ``defaults`` are the partner's values for ``fallback: partner`` rules; each one taken
    is noted in ``notes`` (see :mod:`gateway.mapping.fallbacks`).
    Raises :class:`TranslationError` when the transaction does not fit. ``reference``: read
    with the interpreter only, not the compiled scanners (the tests compare the two).
    """
    plan = plan or build_plan(fields)
    data = read_fields(tx, plan, hierarchy=hierarchy, mapping=mapping, reference=reference)
    if plan.fallbacks is None:  # once per mapping: the walk below visits only what can fall back
        plan.fallbacks = fallback_fields(fields)
    if plan.fallbacks:
        apply_fallbacks(tx, plan.fallbacks, data, mapping=mapping, defaults=defaults, notes=notes)
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
        run.fill(plan, Scope(0, run.n), ())
        seg, el = _nearest(run.positions, loc)
        position = (
            tx.position(seg, el)
            if seg is not None
            else Position(interchange=tx.interchange.index, group=tx.group.index, transaction=tx.index)
        )
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        raw = err.get("input")
        shown = ""
        if raw is not None and not isinstance(raw, dict | list):
            shown = f": got {raw!r}" if isinstance(raw, str) else f": got {raw}"  # 2024-01-01, not date(...)
        message = err["msg"].removeprefix("Value error, ")  # our own rules' messages read whole
        raise TranslationError(f"{message}{shown}{more}", position, dotted(loc), mapping) from None


def _nearest(
    positions: dict[tuple[Any, ...], tuple[int, int | None]], loc: tuple[Any, ...]
) -> tuple[int | None, int | None]:
    for cut in range(len(loc), 0, -1):
        found = positions.get(loc[:cut])
        if found is not None:
            return found
    return None, None
