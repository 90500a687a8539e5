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
from gateway.mapping.functions import to_decimal, to_decimal_point
from gateway.mapping.paths import ID_PAIRS, id_pairs
from gateway.mapping.plan import (
    FILTERED,
    GENERAL,
    SMALL_SCOPE,
    Dest,
    Handler,
    Plan,
    SkipItem,
    Slot,
    component,
    handler_value,
    place,
    plan_of,
)
from gateway.mapping.specs import GroupSpec

Scanner = Callable[[list, int, int, Callable[[str, int, int], list[int]], Any], dict[str, Any]]
ItemsReader = Callable[[list, int, int, Callable[[str, int, int], list[int]], Any], list[dict[str, Any]]]


class Unfilled(Exception):
    """A required value without a default was not found (the reference reader explains it)."""


_MISSING = object()  # a code not in its list's table


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
    bodies, ranked = _emit_bodies(src, plan, "v")
    src.emit(1, "def scan(segs, start, end, ordinals, delimiters):")
    _emit_reset(src, 2, plan, "v", ranked)
    if bodies:
        src.emit(2, f"if end - start <= {SMALL_SCOPE}:")
        src.emit(3, "for i in range(start, end):")
        src.emit(4, "seg = segs[i]")
        src.emit(4, "tag = seg[0]")
        _emit_dispatch(src, 4, bodies)
        src.emit(2, "else:")
        for tag, body in bodies:
            src.emit(3, f"for i in ordinals({src.const(tag)}, start, end):")
            src.emit(4, "seg = segs[i]")
            for line in body:
                src.emit(4, line)
    _emit_stores(src, 2, plan, "v", "out")
    src.emit(2, "return out")
    return _build(src, "scan", name)


def _build(src: _Source, function: str, name: str) -> Any:
    """Compile ``src`` (the body of ``_make``, which returns ``function``) and make the function."""
    helpers = {
        "id_pairs": id_pairs,
        "components": components,
        "place": place,
        "handler_value": handler_value,
        "component": component,
        "Unfilled": Unfilled,
        "SkipItem": SkipItem,
        "_first_text": _first_text,
        "MISSING": _MISSING,
        "Decimal": Decimal,
        "InvalidOperation": InvalidOperation,
    }
    params = ", ".join([*helpers, *(f"K{k}" for k in range(len(src.constants)))])
    source = "\n".join([f"def _make({params}):", *src.lines, f"    return {function}"])
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<scanner {name}>", "exec"), namespace)  # our own template: see the module's essay
    made = namespace["_make"](*helpers.values(), *src.constants)
    made.source = source  # for a curious maintainer: print(plan.scan.source)
    return made


def _emit_bodies(src: _Source, plan: Plan, var: str) -> tuple[list[tuple[str, list[str]]], set[int]]:
    """Per tag, the lines (indented from 0) that offer ``seg`` to the tag's handlers, keeping
    each slot's raw value in ``{var}0``, ``{var}1``...; and the slots ranked by priority
    (several paths), whose rank is kept in ``q{var}0``..."""
    slots = plan.slots
    ranked = {k for k, slot in enumerate(slots) if len(slot.spec.paths) > 1}

    def unset(k: int, priority: int) -> str:
        return f"({var}{k} is None or q{var}{k} > {priority})" if k in ranked else f"{var}{k} is None"

    def take(depth: int, k: int, priority: int, value: str) -> None:
        src.emit(depth, f"{var}{k} = {value}")
        if k in ranked:
            src.emit(depth, f"q{var}{k} = {priority}")

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
        first, last, layout = ID_PAIRS.get(tag_handlers.standard, {}).get(tag, (0, 1, ""))
        if tag_handlers.ids and first == last and layout == "composite":
            # one id in the segment (EDIFACT LIN+1++id:EN): no table, its qualifier is tested
            src.emit(0, f'c = seg[{int(first)}] if n > {int(first)} else ""')
            src.emit(0, "if c.__class__ is not list:")
            src.emit(1, "c = components(c, delimiters)")
            src.emit(0, "if len(c) > 1 and c[0]:")
            for k, priority, codes in tag_handlers.ids:
                src.emit(1, f"if {unset(k, priority)} and c[1] in {src.const(frozenset(codes))}:")
                take(2, k, priority, "c[0]")
        elif tag_handlers.ids:
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
            src.emit(0, f'el = t = seg[{int(test)}] if n > {int(test)} else ""')
            _emit_component(src, 0, test_component or 1, test_component is not None, "t")
            for h in group:
                _emit_filtered(src, h, unset(h.slot, h.priority), partial(take_for, h), test)
        bodies.append((tag, src.lines[start:]))
        del src.lines[start:]
    return bodies, ranked


def _emit_reset(src: _Source, depth: int, plan: Plan, var: str, ranked: set[int]) -> None:
    """Every slot's raw value unset (and its rank 0)."""
    if plan.slots:
        src.emit(depth, " = ".join([*(f"{var}{k}" for k in range(len(plan.slots))), "None"]))
    for k in sorted(ranked):
        src.emit(depth, f"q{var}{k} = 0")


def _emit_dispatch(src: _Source, depth: int, bodies: list[tuple[str, list[str]]]) -> None:
    """``if tag == ...: <body> elif ...`` over the tags of ``bodies``."""
    for j, (tag, body) in enumerate(bodies):
        src.emit(depth, f"{'if' if j == 0 else 'elif'} tag == {src.const(tag)}:")
        for line in body:
            src.emit(depth + 1, line)


def _emit_stores(src: _Source, depth: int, plan: Plan, var: str, out: str) -> None:
    """``{out} = {}``, then every slot's value converted (or defaulted) and put in it."""
    src.emit(depth, f"{out} = {{}}")
    # a nested object of the output (``item`` of ``item.asin``) is made by the first value put
    # in it and then kept in a local: ``{out}_0`` for the first such object...
    heads: dict[str, str] = {}
    for slot in plan.slots:
        if len(slot.head) == 1 and slot.head[0] not in heads:
            heads[slot.head[0]] = f"{out}_{len(heads)}"
    if heads:
        src.emit(depth, " = ".join([*heads.values(), "None"]))
    for k, slot in enumerate(plan.slots):
        _emit_store(src, depth, k, slot, var, out, heads)


def _emit_id_pairs(src: _Source, tag: str, standard: str) -> str:
    """``pairs = `` the segment's product ids by qualifier, the first of each (as
    :func:`gateway.mapping.paths.id_pairs` reads them, inlined); returns how a hit gives its id."""
    first, last, layout = ID_PAIRS[standard][tag]
    first, last = int(first), int(last)
    if layout == "pair":  # X12 PO106/PO107, PO108/PO109...: qualifier, then id
        src.emit(0, "pairs = {}")
        src.emit(0, f"for c, w in zip(seg[{first}:{last + 1}:2], seg[{first + 1}:{last + 2}:2]):")
        src.emit(1, "if c and w and c not in pairs:")
        src.emit(2, "pairs[c] = w")
        return "hit"
    if layout == "composite":  # EDIFACT PIA+5+id:BP: each element an id and its qualifier
        src.emit(0, "pairs = {}")
        src.emit(0, f"for c in seg[{first}:{last + 1}]:")
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


def _emit_filtered(src: _Source, h: Handler, unset: str, take: Callable[[int, str], None], test: int) -> None:
    """A FILTERED handler, its tested element ``test`` already read: whole into ``el``, the
    tested part into ``t``."""
    src.emit(0, f"if {unset} and t {'not in' if h.negate else 'in'} {src.const(h.codes)}:")
    _emit_value(src, 1, h, take, test)


def _emit_value(
    src: _Source, depth: int, h: Handler, take: Callable[[int, str], None], read: int = 0
) -> None:
    """``r = `` the handler's element (and component); taken when not empty. Element ``read``
    (when not 0) is already in ``el``."""
    element = int(h.element)
    src.emit(depth, "r = el" if element == read else f'r = seg[{element}] if n > {element} else ""')
    if h.component is not None:
        _emit_component(src, depth, h.component, True)
    src.emit(depth, "if r and (r.__class__ is str or any(r)):")
    take(depth + 1, "r")


def _emit_component(src: _Source, depth: int, number: int, split_text: bool, var: str = "r") -> None:
    """``var = component number of var``: a composite (list) is indexed, text split only if asked.

    Mirrors :func:`gateway.mapping.plan.handler_value` (and the reference reader).
    """
    number = int(number)
    src.emit(depth, f"if {var}.__class__ is list:")
    if number == 1:
        src.emit(depth + 1, f'{var} = {var}[0] if {var} else ""')
    else:
        src.emit(depth + 1, f'{var} = {var}[{number - 1}] if len({var}) > {number - 1} else ""')
    if split_text:
        src.emit(depth, "else:")
        src.emit(depth + 1, f"{var} = component({var}, {number}, delimiters)")


def _emit_store(
    src: _Source, depth: int, k: int, slot: Slot, var: str, out: str, heads: dict[str, str]
) -> None:
    """Convert slot ``k``'s raw value ``{var}{k}`` (or take its default) and put it in ``out``."""
    spec = slot.spec
    v = f"{var}{k}"
    if spec.default is not None:
        src.emit(depth, f"if {v} is None:")
        src.emit(depth + 1, f"value = {src.const(spec.default)}")
        _emit_put(src, depth + 1, slot, out, heads)
        src.emit(depth, "else:")
    elif spec.required:
        src.emit(depth, f"if {v} is None:")
        src.emit(depth + 1, "raise Unfilled")
        src.emit(depth, "else:")
    else:
        src.emit(depth, f"if {v} is not None:")
    inner = depth + 1
    if slot.read is None:
        src.emit(inner, f"value = {v}.strip() if {v}.__class__ is str else _first_text({v})")
    elif spec.code is not None and not spec.calls:
        # a listed code is looked up inline; anything else (unknown, "*", skip) asks the reader
        text = f"{v}.strip() if {v}.__class__ is str else _first_text({v})"
        src.emit(inner, f"value = {src.const(spec.code.values)}.get({text}, MISSING)")
        src.emit(inner, "if value is MISSING:")
        src.emit(inner + 1, f"value = {src.const(slot.read)}({v})")
    elif slot.read is to_decimal or slot.read is to_decimal_point:
        # inline the usual case of functions.to_decimal, plain numeric text; anything Decimal
        # refuses (a decimal comma, junk) goes to the function, which reads or names it
        src.emit(inner, f"if {v}.__class__ is str:")
        src.emit(inner + 1, "try:")
        src.emit(inner + 2, f"value = Decimal({v})")
        src.emit(inner + 1, "except InvalidOperation:")
        src.emit(inner + 2, f"value = {src.const(slot.read)}({v})")
        src.emit(inner + 1, f"if not value.is_finite() or '_' in {v}:")  # Decimal takes 1_000
        src.emit(inner + 2, f"value = {src.const(slot.read)}({v})")
        src.emit(inner, "else:")
        src.emit(inner + 1, f"value = {src.const(slot.read)}({v})")
    else:
        src.emit(inner, f"value = {src.const(slot.read)}({v})")
    _emit_put(src, inner, slot, out, heads)


def _emit_put(src: _Source, depth: int, slot: Slot, out: str, heads: dict[str, str]) -> None:
    if not slot.head:
        src.emit(depth, f"{out}[{src.const(slot.key)}] = value")
    elif len(slot.head) == 1:
        inner = heads[slot.head[0]]
        src.emit(depth, f"if {inner} is None:")
        src.emit(depth + 1, f"{inner} = {out}[{src.const(slot.head[0])}] = {{}}")
        src.emit(depth, f"{inner}[{src.const(slot.key)}] = value")
    else:
        src.emit(depth, f"place({out}, {src.const(slot.dest)}, value)")


def items_reader(spec: GroupSpec, name: str) -> ItemsReader | None:
    """A plain list group (``each: LIN`` with its nested ``each: TAX``) read by one function.

    Plain means: the loop starts at a bare tag (no filter, no ``having``, no ``level``) and
    its items are only scanned values and plain lists of scanned values (one level deep),
    with nothing looked up elsewhere. ``after`` and ``before`` narrow the scope first, as in
    the reference reader. ``None`` when the group is not plain; the reader is built once and
    kept on the group's plan.

    The generated function walks each instance once, segment by segment, the way a
    hand-written translator would: an instance runs to the next start tag, an ``until`` tag,
    a non-member or the end of the scope (as :func:`~gateway.mapping.plan.instance_end`
    says); each segment is offered to the item's handlers and, while a nested instance is
    open, to the nested list's handlers. Nested instances open at their start tag and close
    at the next one, at one of their ``until`` tags, at a non-member or with the item: the
    same instances the reference reader finds. Raw values are converted once the walk is
    done, the item's first and then its nested items', so a conversion that fails or an item
    left out (:class:`SkipItem`) behaves as in the reference reader. A required list with no
    item raises :class:`Unfilled`, so the reference reader phrases the error.
    """
    plan = plan_of(spec)
    if plan.items is None:
        plan.items = _build_items_reader(spec, plan, name) or False
    return plan.items or None


def _plain(spec: GroupSpec, plan: Plan) -> bool:
    """``spec`` is a list started by a bare tag whose items hold only scanned values."""
    selector = spec.selector
    return not (
        spec.kind != "list"
        or selector is None
        or selector.conditions
        or selector.id_codes is not None
        or spec.having is not None
        or spec.levels is not None
        or not plan.slots
        or plan.others
        or any(required for _, required in plan.objects)
    )


def _build_items_reader(spec: GroupSpec, plan: Plan, name: str) -> ItemsReader | None:
    if not _plain(spec, plan):
        return None
    nested: list[tuple[GroupSpec, Dest, Plan]] = []
    for group, prefix in plan.groups:
        inner = plan_of(group)
        if not _plain(group, inner) or group.after or group.before or inner.groups:
            return None
        nested.append((group, (*prefix, group.name), inner))
    assert spec.selector is not None  # _plain
    src = _Source()
    bodies, ranked = _emit_bodies(src, plan, "v")
    inner_bodies = [_emit_bodies(src, inner, f"x{j}_") for j, (_, _, inner) in enumerate(nested)]
    # the variables of nested list j: its raw values, then the ranks of its ranked slots
    raw = [
        ", ".join([*(f"x{j}_{k}" for k in range(len(inner.slots))), *(f"qx{j}_{k}" for k in sorted(rank))])
        for j, ((_, _, inner), (_, rank)) in enumerate(zip(nested, inner_bodies, strict=True))
    ]

    def close(depth: int, j: int) -> None:
        """Keep nested instance ``j``'s raw values (and ranks) for converting later."""
        src.emit(depth, f"R{j}.append(({raw[j]},))")

    def ends(tag: str, group: GroupSpec) -> str:
        """The test that a segment with tag ``tag`` ends an instance of ``group``."""
        test = f"{tag} == {src.const(group.selector.tag)}"  # type: ignore[union-attr]
        if group.until:
            test += f" or {tag} in {src.const(group.until)}"
        if group.members is not None:
            test += f" or {tag} not in {src.const(group.members)}"
        return test

    src.emit(1, "def read(segs, start, end, ordinals, delimiters):")
    src.emit(2, "items = []")
    _emit_bounds(src, spec)
    src.emit(2, f"for s in ordinals({src.const(spec.selector.tag)}, start, end):")
    _emit_reset(src, 3, plan, "v", ranked)
    for j in range(len(nested)):
        src.emit(3, f"R{j} = []")
        src.emit(3, f"o{j} = False")
    src.emit(3, "for i in range(s, end):")
    src.emit(4, "seg = segs[i]")
    src.emit(4, "tag = seg[0]")
    src.emit(4, f"if i != s and ({ends('tag', spec)}):")  # the instance ends before this segment
    src.emit(5, "break")
    for j, (group, _, inner) in enumerate(nested):
        src.emit(4, f"if tag == {src.const(group.selector.tag)}:")  # type: ignore[union-attr]
        src.emit(5, f"if o{j}:")
        close(6, j)
        src.emit(5, f"o{j} = True")
        _emit_reset(src, 5, inner, f"x{j}_", inner_bodies[j][1])
        if group.until or group.members is not None:
            src.emit(4, f"elif o{j} and ({ends('tag', group)}):")
            close(5, j)
            src.emit(5, f"o{j} = False")
    _emit_dispatch(src, 4, bodies)
    for j, (inner_tags, _) in enumerate(inner_bodies):
        if inner_tags:
            src.emit(4, f"if o{j}:")
            _emit_dispatch(src, 5, inner_tags)
    for j in range(len(nested)):
        src.emit(3, f"if o{j}:")
        close(4, j)
    src.emit(3, "try:")
    _emit_stores(src, 4, plan, "v", "out")
    src.emit(3, "except SkipItem:")
    src.emit(4, "continue")
    _emit_nested_stores(src, nested, raw)
    src.emit(3, "items.append(out)")
    if spec.required:
        src.emit(2, "if not items:")
        src.emit(3, "raise Unfilled")
    src.emit(2, "return items")
    return _build(src, "read", name)


def _emit_bounds(src: _Source, spec: GroupSpec) -> None:
    """Narrow ``start``/``end`` to after the first ``after:`` and before the first ``before:`` tag."""
    if spec.after is not None:
        src.emit(2, f"found = ordinals({src.const(spec.after)}, start, end)")
        src.emit(2, "start = found[0] + 1 if found else end")
    if spec.before is not None:
        src.emit(2, f"found = ordinals({src.const(spec.before)}, start, end)")
        src.emit(2, "if found:")
        src.emit(3, "end = found[0]")


def _emit_nested_stores(src: _Source, nested: list[tuple[GroupSpec, Dest, Plan]], raw: list[str]) -> None:
    """Convert each nested list's kept raw values into its items and place the list in ``out``."""
    for j, (group, dest, inner) in enumerate(nested):
        src.emit(3, f"L{j} = []")
        src.emit(3, f"for {raw[j]}, in R{j}:")
        src.emit(4, "try:")
        _emit_stores(src, 5, inner, f"x{j}_", "sub")
        src.emit(4, "except SkipItem:")
        src.emit(5, "continue")
        src.emit(4, f"L{j}.append(sub)")
        if group.required:
            src.emit(3, f"if not L{j}:")
            src.emit(4, "raise Unfilled")
        if len(dest) == 1:
            src.emit(3, f"out[{src.const(dest[0])}] = L{j}")
        else:
            src.emit(3, f"place(out, {src.const(dest)}, L{j})")


__all__ = ["ItemsReader", "Scanner", "Unfilled", "compile_scanner", "items_reader"]
