"""Dispatch tables for the inbound engine: each scope is read in one pass.

Strategy. A list of compiled specs (a ``fields:`` section, or the fields of one loop) is
turned once into a :class:`Plan`: every value that is found by scanning its scope becomes
a *slot*, and every path of such a value becomes a :class:`Handler` filed under its
segment tag. Reading a scope is then a single walk over its segments (or, for a large
scope, over the ordinals of just the tags the plan knows): each segment is offered to
the handlers of its tag, and a handler fills its slot with the first non-empty value it
sees. ``path: [A, B]`` gives each path a priority, so A anywhere beats B. A value whose
path is a bare element address (``BEG03``) is read inline, with no function call.

Nested objects that read their parent's scope (``item.asin``, ``terms`` without
``within``) are flattened into the parent's plan: their slots carry a destination path
(``("item", "asin")``) instead of a scope of their own. Values that look elsewhere (a
``const``, ``up:``, ``within:``, ``all: true``) and groups with their own instances
(``each``, ``within``, ``level``) are listed apart and run one by one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gateway.edi.model import Delimiters, Segment, components
from gateway.mapping.paths import Path
from gateway.mapping.specs import GroupSpec, ValueSpec

Dest = tuple[str, ...]

#: A scope at most this long is read segment by segment; a longer one tag by tag.
SMALL_SCOPE = 24

# Handler kinds, from the cheapest to read to the most general.
ELEMENT = 0  # BEG03: a bare element
COMPONENT = 1  # QTY01-2: an element's component
FILTERED = 2  # N1[01=ST]04, QTY[01-1=47]01-2: one condition, then an element or component
IDS = 3  # PO1[id=BP]: a product id, from the segment's id pairs
GENERAL = 4  # anything else: ask the path


class SkipItem(Exception):
    """A list item whose ``skip_unknown`` code is not in its code list: leave the item out."""


@dataclass(slots=True)
class Slot:
    """One scanned value and where it goes in the output (``("item", "asin")``)."""

    spec: ValueSpec
    dest: Dest
    read: Callable[[Any], Any] | None = None  # raw -> value; None: the stripped text is the value
    key: str = ""  # dest[-1]
    head: Dest = ()  # dest[:-1]: the nested object it goes in, () for the scope's own dict
    fallback: bool = False  # has a default or is required: look at it even when nothing was found

    def __post_init__(self) -> None:
        self.key, self.head = self.dest[-1], self.dest[:-1]
        self.fallback = self.spec.default is not None or self.spec.required
        self.read = _reader(self.spec)


@dataclass(slots=True)
class Handler:
    """One path of a slot, offered every segment of its tag; ``kind`` says how to read it."""

    slot: int
    priority: int
    path: Path
    kind: int = GENERAL
    element: int = 0  # the addressed element (ELEMENT, COMPONENT, FILTERED)
    component: int | None = None  # ... and component
    test_element: int = 0  # FILTERED: the element tested
    test_component: int | None = None
    codes: frozenset[str] = frozenset()  # FILTERED: the codes it must (or must not) hold
    negate: bool = False

    def __post_init__(self) -> None:
        path = self.path
        plain_address = path.element is not None and path.repetition is None
        if path.id_codes is not None:
            self.kind = IDS if not path.conditions else GENERAL
        elif plain_address and len(path.conditions) <= 1:
            self.element, self.component = path.element, path.component  # type: ignore[assignment]
            if path.conditions:
                cond = path.conditions[0]
                self.kind = FILTERED
                self.test_element, self.test_component = cond.element, cond.component
                self.codes, self.negate = cond.codes, cond.negate
            else:
                self.kind = ELEMENT if path.component is None else COMPONENT


def _reader(spec: ValueSpec) -> Callable[[Any], Any] | None:
    """How a slot turns raw element text into its value (raises ``ValueError`` or :class:`SkipItem`)."""
    calls, code, skip = spec.calls, spec.code, spec.skip_unknown
    if not calls and code is None:
        return None
    if len(calls) == 1 and code is None:
        return calls[0].read

    def read(raw: Any) -> Any:
        value = raw
        if not calls:
            value = ((raw[0] if raw else "") if isinstance(raw, list) else raw).strip()
        for call in calls:
            value = call.read(value)
        if code is not None:
            text = value if isinstance(value, str) else str(value)
            if skip and not code.knows(text):
                raise SkipItem
            value = code.read(text)
        return value

    return read


@dataclass(slots=True)
class TagHandlers:
    """The handlers of one tag: bare elements as plain tuples (the tight loop), then the rest."""

    elements: tuple[tuple[int, int, int], ...]  # (slot, priority, element)
    ids: tuple[tuple[int, int, tuple[str, ...]], ...]  # (slot, priority, qualifiers in preference order)
    others: tuple[Handler, ...]
    standard: str = ""  # of the id handlers' paths: where the segment keeps its id pairs


@dataclass(slots=True)
class Plan:
    by_tag: dict[str, TagHandlers] = field(default_factory=dict)
    slots: list[Slot] = field(default_factory=list)
    others: list[tuple[ValueSpec, Dest]] = field(default_factory=list)  # looked up one by one
    groups: list[tuple[GroupSpec, Dest]] = field(default_factory=list)  # with instances of their own
    objects: list[tuple[Dest, bool]] = field(default_factory=list)  # flattened objects: dest, required
    scan: Any = None  # the slots' one-pass read as a compiled function (gateway.mapping.fastpath)
    #: a list group's whole read as one function (gateway.mapping.fastpath.items_reader);
    #: ``False`` once found to need the interpreter
    items: Any = None
    #: reading a scope is just its slots: nothing looked up apart, no nested group
    slots_only: bool = False
    #: the rules with a ``fallback:`` and the groups holding one (gateway.mapping.fallbacks),
    #: cut from the specs on first use; ``None`` until then
    fallbacks: Any = None


def build_plan(specs: list[ValueSpec | GroupSpec]) -> Plan:
    """The dispatch table of ``specs``."""
    plan = Plan()
    handlers: dict[str, list[Handler]] = {}
    _add(plan, handlers, specs, ())
    plan.by_tag = {
        tag: TagHandlers(
            tuple((h.slot, h.priority, h.element) for h in found if h.kind == ELEMENT),
            tuple((h.slot, h.priority, h.path.id_codes or ()) for h in found if h.kind == IDS),
            tuple(h for h in found if h.kind not in (ELEMENT, IDS)),
            next((h.path.standard for h in found if h.kind == IDS), ""),
        )
        for tag, found in handlers.items()
    }
    required_objects = any(required for _, required in plan.objects)
    plan.slots_only = bool(plan.slots) and not plan.others and not plan.groups and not required_objects
    return plan


def _add(plan: Plan, handlers: dict[str, list[Handler]], specs: list, prefix: Dest) -> None:
    for spec in specs:
        if isinstance(spec, ValueSpec):
            if not spec.scans:
                plan.others.append((spec, prefix))
                continue
            slot = len(plan.slots)
            plan.slots.append(Slot(spec, (*prefix, spec.name)))
            for priority, path in enumerate(spec.paths):
                handlers.setdefault(path.tag, []).append(Handler(slot, priority, path))
        elif spec.shares_scope:
            plan.objects.append(((*prefix, spec.name), spec.required))
            _add(plan, handlers, spec.fields, (*prefix, spec.name))
        else:
            plan.groups.append((spec, prefix))


def plan_of(spec: GroupSpec) -> Plan:
    """The plan of a group's fields, built on first use."""
    plan = spec.plan
    if plan is None:
        plan = spec.plan = build_plan(spec.fields)
    return plan


def instance_end(
    segs: list[Segment], start: int, end: int, tag: str, until: frozenset[str], members: frozenset[str] | None
) -> int:
    """Where a loop instance that starts at ``segs[start]`` ends: at the next ``tag``, an ``until``
    tag, a segment not in ``members`` (when given) or ``end``, whichever comes first."""
    e = start + 1
    while e < end:
        t = segs[e][0]
        if t == tag or t in until or (members is not None and t not in members):
            break
        e += 1
    return e


def handler_value(h: Handler, seg: Segment, delimiters: Delimiters) -> tuple[Any, int | None] | None:
    """The non-empty value a COMPONENT, FILTERED or GENERAL handler reads in ``seg``, or ``None``.

    Returns ``(raw, element number)``. ELEMENT and IDS handlers are read inline by the engine.
    """
    size = len(seg)
    el: int | None = h.element
    kind = h.kind
    if kind in (FILTERED, COMPONENT):
        if kind == FILTERED:
            test = h.test_element
            value = seg[test] if test < size else ""
            number = h.test_component or 1  # a composite without a component: its first
            if type(value) is list:
                value = value[number - 1] if number <= len(value) else ""
            elif number > 1 or h.test_component is not None:
                value = component(value, number, delimiters)
            if (value in h.codes) == h.negate:
                return None
        raw = seg[h.element] if h.element < size else ""
        part = h.component
        if part is not None:
            raw = component(raw, part, delimiters)
    else:
        path = h.path
        if path.conditions and not path.matches(seg, delimiters):
            return None
        raw, el = path.extract(seg, delimiters)  # an [id=..] path gives "" when absent
    if raw and (type(raw) is str or any(raw)):
        return raw, el
    return None


def component(value: Any, number: int, delimiters: Delimiters) -> Any:
    """Component ``number`` (1-based) of an element: ``""`` when it has fewer."""
    if type(value) is list:
        return value[number - 1] if number <= len(value) else ""
    if number == 1 and (delimiters.release is not None or delimiters.component not in value):
        return value
    comps = components(value, delimiters)
    return comps[number - 1] if number <= len(comps) else ""


def place(out: dict[str, Any], dest: Dest, value: Any) -> None:
    """``out[dest[0]]...[dest[-1]] = value``, making the nested dicts on the way."""
    if len(dest) == 1:
        out[dest[0]] = value
        return
    node = out
    for key in dest[:-1]:
        inner = node.get(key)
        if inner is None:
            inner = node[key] = {}
        node = inner
    node[dest[-1]] = value


def place_object(out: dict[str, Any], dest: Dest) -> None:
    node = out
    for key in dest:
        inner = node.get(key)
        if inner is None:
            inner = node[key] = {}
        node = inner
