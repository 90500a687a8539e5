"""The outbound engine: one canonical document -> the body segments of one transaction.

A compiled outbound mapping is a list of :class:`SegmentSpec`, in output order. Each
names its tag and what each element (or component) holds: a canonical field (dotted,
relative to the current loop item; a leading ``/`` means the document root), a
constant, a count (``count: lines``), a sum (``sum: lines.quantity*unit_price``) or the
loop index. ``each: lines`` repeats a segment (or a group of ``segments``) per item.

A segment is written only when at least one of its field-based elements has a value
(a party that is absent simply leaves no N1), unless it holds constants only or says
``always: true``; ``when:`` adds an explicit condition. Trailing empty elements and
components are dropped. The envelope (ST/SE, UNH/UNT, counts of segments) is the
writer's job: the result is a :class:`~gateway.edi.model.OutboundTransaction`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import BaseModel

from gateway.edi.model import OutboundTransaction, Segment
from gateway.mapping.codes import CodeList
from gateway.mapping.errors import TranslationError
from gateway.mapping.functions import Call, _plain


@dataclass(frozen=True, slots=True)
class FieldRef:
    """A dotted canonical field; a part may select list items, ``parties[role=remit_to]``.

    A selecting part keeps the items whose field has one of the codes; followed by more
    parts it stands for the first of them (``parties[role=remit_to].name``), last it is
    the list itself (for ``each:``, ``count:``, ``when:``).
    """

    parts: tuple[str, ...]
    root: bool = False
    text: str = ""
    filters: tuple[tuple[str, frozenset[str]] | None, ...] = ()

    def get(self, item: Any, root: Any) -> Any:
        value = root if self.root else item
        if not self.filters:  # the common case: a plain dotted path
            for part in self.parts:
                if value is None:
                    return None
                value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
            return value
        last = len(self.parts) - 1
        for i, part in enumerate(self.parts):
            if value is None:
                return None
            value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
            if self.filters and self.filters[i] is not None and value is not None:
                name, codes = self.filters[i]  # type: ignore[misc]
                value = [entry for entry in value if _key(_attr(entry, name)) in codes]
                if i < last:
                    value = value[0] if value else None
        return value


def _attr(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


@dataclass(frozen=True, slots=True)
class Product:
    """``lines.quantity*unit_price``: the list, and the fields multiplied per item.

    ``lines.amount|quantity*unit_price`` gives alternatives: per item, the first whose fields
    all have a value. ``places`` (from the element's ``decimal(n)`` or ``implied(n)``) rounds
    each item half-up before adding, so a total is the sum of the amounts as the lines write them.
    """

    items: FieldRef
    alternatives: tuple[tuple[FieldRef, ...], ...]
    text: str = ""
    places: int | None = None

    def total(self, item: Any, root: Any) -> Decimal:
        total = Decimal(0)
        step = Decimal(1).scaleb(-self.places) if self.places is not None else None
        for entry in self.items.get(item, root) or ():
            for factors in self.alternatives:
                values = [factor.get(entry, root) for factor in factors]
                if all(value is not None for value in values):
                    product = Decimal(1)
                    for value in values:
                        product *= Decimal(value)
                    total += product if step is None else product.quantize(step, rounding=ROUND_HALF_UP)
                    break
        return total


@dataclass(slots=True)
class ElementSpec:
    element: int
    component: int | None
    key: str
    field: FieldRef | None = None
    const: Any = None
    default: Any = None
    required: bool = False
    calls: tuple[Call, ...] = ()
    code: CodeList | None = None
    count: FieldRef | None = None
    sum: Product | None = None
    multiply: tuple[FieldRef, ...] | None = None
    index: bool = False
    with_: tuple[int, int | None] | None = None  # written only when that element has a value

    @property
    def varies(self) -> bool:
        return (
            self.field is not None
            or self.count is not None
            or self.sum is not None
            or self.multiply is not None
            or self.index
        )


@dataclass(slots=True)
class Condition:
    field: FieldRef
    is_: Any = None
    in_: tuple[str, ...] | None = None
    not_: Any = None
    present: bool | None = True

    def holds(self, item: Any, root: Any) -> bool:
        raw = self.field.get(item, root)
        if isinstance(raw, list):  # a list is present when it has an entry
            return self.present is None or bool(raw) == self.present
        value = _key(raw)
        if self.is_ is not None and value != str(self.is_):
            return False
        if self.in_ is not None and value not in self.in_:
            return False
        if self.not_ is not None and value == str(self.not_):
            return False
        return self.present is None or bool(value) == self.present


@dataclass(slots=True)
class SegmentSpec:
    id: str
    tag: str | None
    elements: list[ElementSpec] = field(default_factory=list)
    each: FieldRef | None = None
    when: Condition | None = None
    always: bool = False
    children: list[SegmentSpec] | None = None
    #: what rendering needs of ``elements``, worked out once on first use (:func:`_plan`)
    plan: _SegmentPlan | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class _SegmentPlan:
    """A segment's elements as rendering reads them, and the ``with:`` pairs (an element written
    only when the other has a value). Each element comes with its key (the element number in a
    ``simple`` segment, one without components; else ``(element, component)``), whether it
    varies, its text when it is a constant, and its field when it is a plain one (no default,
    ``required``, conversion or code list: the value's text, or nothing); the others take
    :meth:`_Render.element`."""

    elements: tuple[tuple[ElementSpec, Any, bool, str | None, FieldRef | None], ...]
    varying: bool
    withs: tuple[tuple[Any, Any], ...]
    simple: bool


def _plan(spec: SegmentSpec) -> _SegmentPlan:
    plan = spec.plan
    if plan is None:
        numbers = [el.element for el in spec.elements]
        simple = len(set(numbers)) == len(numbers) and all(
            el.component is None and (el.with_ is None or el.with_[1] is None) for el in spec.elements
        )
        plan = spec.plan = make_plan(spec, simple)
    return plan


def make_plan(spec: SegmentSpec, simple: bool) -> _SegmentPlan:
    """``spec``'s plan; ``simple`` (one text per element number, no components) keys the texts by
    element number and writes the segment at once, else by (element, component) through
    :func:`_build` (the tests compare the two on segments that could take either)."""

    def key(number: int, component: int | None) -> Any:
        return number if simple else (number, component)

    elements = tuple(
        (el, key(el.element, el.component), el.varies, _const_text(el), _plain_field(el))
        for el in spec.elements
    )
    withs = tuple(
        (key(el.element, el.component), key(*el.with_)) for el in spec.elements if el.with_ is not None
    )
    return _SegmentPlan(elements, any(e[2] for e in elements), withs, simple)


def _const_text(el: ElementSpec) -> str | None:
    if el.const is None:
        return None
    try:
        return _text(el.const)
    except (ValueError, ArithmeticError, TypeError):
        return None  # left to the general path, which names the element


def _plain_field(el: ElementSpec) -> FieldRef | None:
    plain = el.default is None and not el.required and not el.calls and el.code is None
    return el.field if plain else None


def _key(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _plain_text(value: Any) -> str | None:
    """:func:`_text`, or ``None`` where it raises."""
    try:
        return _text(value)
    except (ValueError, ArithmeticError, TypeError):
        return None


def _text(value: Any) -> str:
    if type(value) is str:
        return value
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, Decimal):
        return _plain(value)
    if isinstance(value, datetime):
        return value.strftime("%Y%m%d%H%M")
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    if isinstance(value, time):
        return value.strftime("%H%M")
    return str(value)


class _Render:
    __slots__ = ("mapping", "out", "root")

    def __init__(self, root: Any, mapping: str) -> None:
        self.root = root
        self.mapping = mapping
        self.out: list[Segment] = []

    def emit(self, specs: list[SegmentSpec], item: Any, index: int, where: str) -> None:
        for spec in specs:
            if spec.each is not None:
                items = spec.each.get(item, self.root) or []
                for n, sub in enumerate(items, 1):
                    self.one(spec, sub, n, f"{where}{spec.each.text}[{n}].")
            else:
                self.one(spec, item, index, where)

    def one(self, spec: SegmentSpec, item: Any, index: int, where: str) -> None:
        if spec.when is not None and not spec.when.holds(item, self.root):
            return
        if spec.children is not None:
            self.emit(spec.children, item, index, where)
        if spec.tag is None:
            return
        plan = _plan(spec)
        texts: dict[Any, str] = {}  # by the plan's keys: only elements that have a text
        filled = False
        root = self.root
        for el, key, varies, const, plain in plan.elements:
            if const is not None:
                text = const
            elif plain is not None:
                value = plain.get(item, root)
                found = "" if value is None or value == "" else _plain_text(value)
                # where the value has no text, the general path raises the error that names it
                text = found if found is not None else self.element(el, item, index, where, spec)
            else:
                text = self.element(el, item, index, where, spec)
            if text:
                texts[key] = text
                filled = filled or varies
        if plan.varying and not filled and not spec.always:
            return
        for key, other in plan.withs:
            if other not in texts:
                texts.pop(key, None)
        if plan.simple:
            last = max(texts, default=0)
            self.out.append([spec.tag, *(texts.get(number, "") for number in range(1, last + 1))])
            return
        values: dict[int, dict[int | None, str]] = {}
        for (number, component), text in texts.items():
            values.setdefault(number, {})[component] = text
        self.out.append(_build(spec.tag, values))

    def element(self, el: ElementSpec, item: Any, index: int, where: str, spec: SegmentSpec) -> str:
        try:
            # an element has exactly one source (the compiler checks): a field, the most common, first
            if el.field is not None:
                value: Any = el.field.get(item, self.root)
            elif el.const is not None:
                return _text(el.const)
            elif el.index:
                value = index
            elif el.count is not None:
                value = len(el.count.get(item, self.root) or ())
            elif el.sum is not None:
                value = el.sum.total(item, self.root)
            elif el.multiply is not None:
                factors = [ref.get(item, self.root) for ref in el.multiply]
                value = None
                if all(f is not None for f in factors):
                    value = Decimal(1)
                    for f in factors:
                        value *= Decimal(f)
            else:  # pragma: no cover - the compiler gives every element a source
                raise ValueError(f"{el.key} has no source")
            if value is None or value == "":
                if el.default is not None:
                    return _text(el.default)
                if el.required:
                    raise ValueError(f"required for {el.key}, but the document has no value")
                return ""
            if el.code is not None:
                value = el.code.write(value)
            for call in el.calls:
                value = call.write(value)
            return _text(value)
        except (ValueError, ArithmeticError, TypeError) as exc:
            name = el.field.text if el.field else (el.sum.text if el.sum else el.key)
            raise TranslationError(
                f"{spec.tag} {el.key}: {exc}", None, f"{where}{name}", self.mapping
            ) from None


def _build(tag: str, values: dict[int, dict[int | None, str]]) -> Segment:
    values = {k: v for k, v in values.items() if v}
    segment: Segment = [tag]
    for number in range(1, max(values, default=0) + 1):
        parts = values.get(number)
        if not parts:
            segment.append("")
        elif None in parts:
            segment.append(parts[None])
        else:
            last = max(k for k in parts if k is not None)
            comps = [parts.get(c, "") for c in range(1, last + 1)]
            segment.append(comps if len(comps) > 1 else comps[0])
    return segment


def render_document(
    doc: BaseModel | dict[str, Any],
    specs: list[SegmentSpec],
    *,
    document: str,
    control_number: str,
    version: str | list[str] | None,
    mapping: str = "",
) -> OutboundTransaction:
    """The body segments of ``doc`` as an :class:`OutboundTransaction`.

    Raises :class:`TranslationError` when a required value is missing or cannot be written.
    """
    root = doc.model_dump() if isinstance(doc, BaseModel) else doc
    run = _Render(root, mapping)
    run.emit(specs, root, 1, "")
    return OutboundTransaction(document, control_number, run.out, version)
