"""Compiled scanners: a plan's one-pass read turned into a Python function, once per mapping.

Strategy. The inbound engine (:mod:`gateway.mapping.inbound`) reads a scope by offering
each segment to the handlers of its tag (:mod:`gateway.mapping.plan`). Interpreted, that
costs a few generic loops and tuple allocations per segment and per value, which made
translation several times slower than parsing. Here a plan's scan is written out once as
straight-line Python, the way ``dataclasses`` and ``namedtuple`` write ``__init__``: one
local variable per value, one ``if tag == ...`` branch per tag, each handler inlined as
a couple of comparisons, then each value converted and stored in the output dict.

Safety. The mapping file never becomes code. The generated text is built from a closed
set of templates; the only things written into it are variable names the generator
makes up (``v3``, ``K12``) and integers (element numbers, priorities). Every piece of the
mapping file (tags, codes, keys, defaults, converters) is handed to the function as a
constant bound through a closure, never formatted into the source.

Division of labour. The scanner is the fast path only: it does not record where values
came from and it does not phrase errors. When a value fails to convert (``ValueError``)
or a required value is missing (:class:`Unfilled`), the engine translates the
transaction again with the interpreted reader in recording mode, which raises the
:class:`~gateway.mapping.errors.TranslationError` naming segment, element and field.
The interpreter stays the reference: a test checks that both give the same documents.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from gateway.edi.model import components
from gateway.mapping.functions import to_decimal
from gateway.mapping.paths import ID_PAIRS, id_pairs
from gateway.mapping.plan import (
    FILTERED,
    GENERAL,
    SMALL_SCOPE,
    Handler,
    Plan,
    SkipItem,
    Slot,
    component,
    handler_value,
    instance_end,
    place,
    plan_of,
)
from gateway.mapping.specs import GroupSpec

Scanner = Callable[[list, int, int, Callable[[str, int, int], list[int]], Any], dict[str, Any]]
ItemsReader = Callable[[list, int, int, Callable[[str, int, int], list[int]], Any], list[dict[str, Any]]]


class Unfilled(Exception):
    """A required value without a default was not found (the reference reader explains it)."""


def _first_text(raw: list[str]) -> str:
    return (raw[0] if raw else "").strip()


class _Source:
    """Lines of generated code and the constants they refer to."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.constants: list[Any] = []
        self.texts: dict[str, str] = {}  # text constants are shared: one K per tag or key

    def const(self, value: Any) -> str:
        if type(value) is str and value in self.texts:
            return self.texts[value]
        self.constants.append(value)
        name = f"K{len(self.constants) - 1}"
        if type(value) is str:
            self.texts[value] = name
        return name

    def emit(self, depth: int, text: str) -> None:
        self.lines.append("    " * depth + text)


def compile_scanner(plan: Plan, name: str = "scan") -> Scanner:
    """The scan of ``plan``'s slots as a function ``(segs, start, end, ordinals, delimiters) -> dict``.

    ``name`` only labels the generated code in tracebacks (it is not part of the code).
    """
    src = _Source()
    slots = plan.slots
    ranked = {k for k, slot in enumerate(slots) if len(slot.spec.paths) > 1}

    def unset(k: int, priority: int) -> str:
        return f"(v{k} is None or q{k} > {priority})" if k in ranked else f"v{k} is None"

    def take(depth: int, k: int, priority: int, value: str) -> None:
        src.emit(depth, f"v{k} = {value}")
        if k in ranked:
            src.emit(depth, f"q{k} = {priority}")

    def take_for(h: Handler, depth: int, value: str) -> None:
        take(depth, h.slot, h.priority, value)

    bodies: list[tuple[str, list[str]]] = []
    for tag, tag_handlers in plan.by_tag.items():
        start = len(src.lines)
        src.emit(0, "n = len(seg)")
        for k, priority, el in tag_handlers.elements:
            src.emit(0, f"if {unset(k, priority)} and n > {int(el)}:")
            src.emit(1, f"r = seg[{int(el)}]")
            src.emit(1, "if r and (r.__class__ is str or any(r)):")
            take(2, k, priority, "r")
        if tag_handlers.ids:
            found = _emit_id_pairs(src, tag, tag_handlers.standard)
            for k, priority, codes in tag_handlers.ids:
                lookups = " or ".join(f"pairs.get({src.const(code)})" for code in codes)
                src.emit(0, f"if {unset(k, priority)}:")
                src.emit(1, f"hit = {lookups}")
                src.emit(1, "if hit is not None:")
                take(2, k, priority, found)
        tested: dict[tuple[int, int | None], list[Handler]] = {}  # FILTERED handlers by the element they test
        for h in tag_handlers.others:
            if h.kind == FILTERED:
                tested.setdefault((h.test_element, h.test_component), []).append(h)
            else:
                _emit_other(src, h, unset(h.slot, h.priority), partial(take_for, h))
        for (test, test_component), group in tested.items():
            # the tested element is read once for all handlers that test it (RFF+ON, RFF+IV, ...)
            src.emit(0, f't = seg[{int(test)}] if n > {int(test)} else ""')
            src.emit(0, "r = t")
            _emit_component(src, 0, test_component or 1, test_component is not None)
            src.emit(0, "t = r")
            for h in group:
                _emit_filtered(src, h, unset(h.slot, h.priority), partial(take_for, h))
        bodies.append((tag, src.lines[start:]))
        del src.lines[start:]

    src.emit(1, "def scan(segs, start, end, ordinals, delimiters):")
    if slots:
        src.emit(2, " = ".join([*(f"v{k}" for k in range(len(slots))), "None"]))
        for k in sorted(ranked):
            src.emit(2, f"q{k} = 0")
    if bodies:
        src.emit(2, f"if end - start <= {SMALL_SCOPE}:")
        src.emit(3, "for i in range(start, end):")
        src.emit(4, "seg = segs[i]")
        src.emit(4, "tag = seg[0]")
        for j, (tag, body) in enumerate(bodies):
            src.emit(4, f"{'if' if j == 0 else 'elif'} tag == {src.const(tag)}:")
            for line in body:
                src.emit(5, line)
        src.emit(2, "else:")
        for tag, body in bodies:
            src.emit(3, f"for i in ordinals({src.const(tag)}, start, end):")
            src.emit(4, "seg = segs[i]")
            for line in body:
                src.emit(4, line)
    src.emit(2, "out = {}")
    for k, slot in enumerate(slots):
        _emit_store(src, k, slot)
    src.emit(2, "return out")

    helpers = {
        "id_pairs": id_pairs,
        "components": components,
        "place": place,
        "handler_value": handler_value,
        "component": component,
        "Unfilled": Unfilled,
        "_first_text": _first_text,
        "Decimal": Decimal,
        "InvalidOperation": InvalidOperation,
    }
    params = ", ".join([*helpers, *(f"K{k}" for k in range(len(src.constants)))])
    source = "\n".join([f"def _make({params}):", *src.lines, "    return scan"])
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<scanner {name}>", "exec"), namespace)  # our own template: see the module's essay
    scanner = namespace["_make"](*helpers.values(), *src.constants)
    scanner.source = source  # for a curious maintainer: print(plan.scan.source)
    return scanner


def _emit_id_pairs(src: _Source, tag: str, standard: str) -> str:
    """``pairs = `` the segment's product ids by qualifier, the first of each (as
    :func:`gateway.mapping.paths.id_pairs` reads them, inlined); returns how a hit gives its id."""
    first, last, layout = ID_PAIRS[standard][tag]
    first, last = int(first), int(last)
    if layout == "pair":  # X12 PO106/PO107, PO108/PO109...: qualifier, then id
        src.emit(0, "pairs = {}")
        src.emit(0, f"for q in range({first}, min({last}, n - 2) + 1, 2):")
        src.emit(1, "c = seg[q]")
        src.emit(1, "if c and c not in pairs:")
        src.emit(2, "w = seg[q + 1]")
        src.emit(2, "if w:")
        src.emit(3, "pairs[c] = w")
        return "hit"
    if layout == "composite":  # EDIFACT PIA+5+id:BP: each element an id and its qualifier
        src.emit(0, "pairs = {}")
        src.emit(0, f"for q in range({first}, min({last}, n - 1) + 1):")
        src.emit(1, "c = seg[q]")
        src.emit(1, "if c.__class__ is not list:")
        src.emit(2, "c = components(c, delimiters)")
        src.emit(1, "if len(c) > 1 and c[0] and c[1] not in pairs:")
        src.emit(2, "pairs[c[1]] = c[0]")
        return "hit"
    src.emit(0, f"pairs = id_pairs(seg, {src.const(standard)}, delimiters)")
    return "hit[0]"


def _emit_other(src: _Source, h: Handler, unset: str, take: Callable[[int, str], None]) -> None:
    """A COMPONENT handler inline; a GENERAL one through ``handler_value``."""
    src.emit(0, f"if {unset}:")
    if h.kind == GENERAL:
        src.emit(1, f"hit = handler_value({src.const(h)}, seg, delimiters)")
        src.emit(1, "if hit is not None:")
        take(2, "hit[0]")
        return
    _emit_value(src, 1, h, take)


def _emit_filtered(src: _Source, h: Handler, unset: str, take: Callable[[int, str], None]) -> None:
    """A FILTERED handler, its tested element already read into ``t``."""
    src.emit(0, f"if {unset} and t {'not in' if h.negate else 'in'} {src.const(h.codes)}:")
    _emit_value(src, 1, h, take)


def _emit_value(src: _Source, depth: int, h: Handler, take: Callable[[int, str], None]) -> None:
    """``r = `` the handler's element (and component); taken when not empty."""
    el = int(h.element)
    src.emit(depth, f'r = seg[{el}] if n > {el} else ""')
    if h.component is not None:
        _emit_component(src, depth, h.component, True)
    src.emit(depth, "if r and (r.__class__ is str or any(r)):")
    take(depth + 1, "r")


def _emit_component(src: _Source, depth: int, number: int, split_text: bool) -> None:
    """``r = component number of r``: a composite (list) is indexed, text split only if asked.

    Mirrors :func:`gateway.mapping.plan.handler_value` (and the reference reader).
    """
    number = int(number)
    src.emit(depth, "if r.__class__ is list:")
    src.emit(depth + 1, f'r = r[{number - 1}] if len(r) > {number - 1} else ""')
    if split_text:
        src.emit(depth, "else:")
        src.emit(depth + 1, f"r = component(r, {number}, delimiters)")


def _emit_store(src: _Source, k: int, slot: Slot) -> None:
    """Convert slot ``k``'s raw value (or take its default) and put it in ``out``."""
    spec = slot.spec
    if spec.default is not None:
        src.emit(2, f"if v{k} is None:")
        src.emit(3, f"value = {src.const(spec.default)}")
        _emit_put(src, 3, slot)
        src.emit(2, "else:")
    elif spec.required:
        src.emit(2, f"if v{k} is None:")
        src.emit(3, "raise Unfilled")
        src.emit(2, "else:")
    else:
        src.emit(2, f"if v{k} is not None:")
    if slot.read is None:
        src.emit(3, f"value = v{k}.strip() if v{k}.__class__ is str else _first_text(v{k})")
    elif slot.read is to_decimal:
        # inline the usual case of functions.to_decimal: plain text without a decimal comma
        src.emit(3, f'if v{k}.__class__ is str and "," not in v{k}:')
        src.emit(4, "try:")
        src.emit(5, f"value = Decimal(v{k})")
        src.emit(4, "except InvalidOperation:")
        src.emit(5, "raise ValueError from None")
        src.emit(4, "if not value.is_finite():")
        src.emit(5, "raise ValueError")
        src.emit(3, "else:")
        src.emit(4, f"value = {src.const(slot.read)}(v{k})")
    else:
        src.emit(3, f"value = {src.const(slot.read)}(v{k})")
    _emit_put(src, 3, slot)


def _emit_put(src: _Source, depth: int, slot: Slot) -> None:
    if not slot.head:
        src.emit(depth, f"out[{src.const(slot.key)}] = value")
    elif len(slot.head) == 1:
        head = src.const(slot.head[0])
        src.emit(depth, f"inner = out.get({head})")
        src.emit(depth, "if inner is None:")
        src.emit(depth + 1, f"inner = out[{head}] = {{}}")
        src.emit(depth, f"inner[{src.const(slot.key)}] = value")
    else:
        src.emit(depth, f"place(out, {src.const(slot.dest)}, value)")


def items_reader(spec: GroupSpec, name: str) -> ItemsReader | None:
    """A plain list group (``each: LIN`` with its nested ``each: TAX``) read by one function.

    Plain means: the loop starts at a bare tag (no filter, no ``having``, no ``level``, no
    ``after`` or ``before``) and its items are only scanned values and plain lists, with
    nothing looked up elsewhere. The function finds the instances the way the reference
    reader does (an instance runs to the next start tag, an ``until`` tag, a non-member or the
    end of the scope), scans each and fills its nested lists, with no :class:`Scope` or
    location tuples on the way. ``None`` when the group is not plain; the reader is built once
    and kept on the group's plan. A required list with no item raises :class:`Unfilled`, so the
    reference reader phrases the error.
    """
    plan = plan_of(spec)
    if plan.items is None:
        plan.items = _build_items_reader(spec, plan, name) or False
    return plan.items or None


def _build_items_reader(spec: GroupSpec, plan: Plan, name: str) -> ItemsReader | None:
    selector = spec.selector
    if (
        spec.kind != "list"
        or selector is None
        or selector.conditions
        or selector.id_codes is not None
        or spec.having is not None
        or spec.levels is not None
        or spec.after is not None
        or spec.before is not None
        or not plan.slots
        or plan.others
        or any(required for _, required in plan.objects)
    ):
        return None
    nested: list[tuple[str, tuple[str, ...], ItemsReader]] = []
    for group, prefix in plan.groups:
        reader = items_reader(group, f"{name}.{group.name}")
        if reader is None:
            return None
        nested.append((group.name, (*prefix, group.name) if prefix else (), reader))
    if plan.scan is None:
        plan.scan = compile_scanner(plan, name)
    scan = plan.scan
    tag, until, members, required = selector.tag, spec.until, spec.members, spec.required

    def read(segs: list, start: int, end: int, ordinals: Callable, delimiters: Any) -> list[dict[str, Any]]:
        items = []
        for s in ordinals(tag, start, end):
            e = instance_end(segs, s, end, tag, until, members)
            try:
                item = scan(segs, s, e, ordinals, delimiters)
            except SkipItem:
                continue
            for key, dest, sub in nested:
                if dest:
                    place(item, dest, sub(segs, s, e, ordinals, delimiters))
                else:
                    item[key] = sub(segs, s, e, ordinals, delimiters)
            items.append(item)
        if not items and required:
            raise Unfilled
        return items

    return read


__all__ = ["ItemsReader", "Scanner", "Unfilled", "compile_scanner", "items_reader"]
