"""Compile checked YAML trees into engine specs, with the semantic checks.

Beyond the file schema, the compiler checks what only the meaning reveals: every path
parses for the file's standard, every function and code list exists, every canonical
field named exists in the canonical model (and has the right shape: a list for
``each``, an object for ``within``), every *required* canonical field is filled by some
rule, and outbound field references name real fields. Each problem carries its file and
line; the compiler records them all and returns what it could compile.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from pydantic import BaseModel

from gateway.common.yamlfile import MarkedDict, marked
from gateway.mapping.checks import Checker
from gateway.mapping.errors import MappingProblem
from gateway.mapping.models import field_shape, required_fields, value_problem
from gateway.mapping.outbound import Condition, ElementSpec, FieldRef, Product, SegmentSpec
from gateway.mapping.paths import TAG_RE, Path
from gateway.mapping.repeats import once_tags
from gateway.mapping.schema import ElementRule, GroupRule, SegmentControls, ValueRule, When
from gateway.mapping.specs import PARENT, ROOT, THIS, GroupSpec, ValueSpec

_ELEMENT_KEY_RE = re.compile(r"^(?P<tag>[A-Z][A-Z0-9]{1,2}?)(?P<el>\d{2})(?:-(?P<comp>\d{1,2}))?$")
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_SELECT = rf"(?:\[{_NAME}=[^\[\]=.]+\])?"
_FIELD_RE = re.compile(rf"^/?{_NAME}{_SELECT}(\.{_NAME}{_SELECT})*$")
_PART_RE = re.compile(rf"^(?P<name>{_NAME})(?:\[(?P<by>{_NAME})=(?P<codes>[^\]]+)\])?$")


# --- inbound -------------------------------------------------------------------------


def expand_dotted(fields: dict[str, Any]) -> MarkedDict:
    """``item.asin: PO1[id=BP]`` -> ``item: {fields: {asin: PO1[id=BP]}}`` (merging into a group)."""
    result = marked({}, getattr(fields, "file", ""), getattr(fields, "line", None))
    result.removed = dict(getattr(fields, "removed", {}))  # rules an overlay removed (see loader)
    key_lines = getattr(fields, "key_lines", {})
    for key, value in fields.items():
        head, dot, rest = str(key).partition(".")
        if not dot:
            if key in result and isinstance(result[key], dict) and isinstance(value, dict):
                # an explicit group after dotted keys: keep both sets of fields
                merged = marked(dict(value), getattr(value, "file", ""), getattr(value, "line", None))
                merged.key_lines = dict(getattr(value, "key_lines", {}))
                inner = marked({}, result.file, result.line)
                inner.update(result[key].get("fields", {}))
                inner.key_lines = dict(getattr(result[key].get("fields", {}), "key_lines", {}))
                inner.update(value.get("fields", {}))
                inner.key_lines.update(getattr(value.get("fields", {}), "key_lines", {}))
                merged["fields"] = inner
                result[key] = merged
            else:
                result[key] = value
            result.key_lines[key] = key_lines.get(key, result.line)
            continue
        line = key_lines.get(key, result.line)
        group = result.get(head)
        if not isinstance(group, dict) or "fields" not in group:
            group = marked({"fields": marked({}, result.file, line)}, result.file, line)
            result[head] = group
            result.key_lines[head] = line
        group["fields"][rest] = value
        group["fields"].key_lines[rest] = line
    return result


def compile_inbound_fields(
    fields: Any,
    model: type[BaseModel] | None,
    ck: Checker,
    *,
    has_hierarchy: bool,
    where: str = "",
    owner: Any = None,
    in_list: bool = False,
) -> list[ValueSpec | GroupSpec]:
    """Compile a ``fields:`` mapping; ``owner`` is the dict holding it (for the line of problems)."""
    if not isinstance(fields, dict) or not fields:
        ck.add(fields, where or "fields", "fields must be a non-empty mapping of canonical field -> rule")
        return []
    fields = expand_dotted(fields)
    specs: list[ValueSpec | GroupSpec] = []
    for name, rule in fields.items():
        key = f"{where}.{name}" if where else str(name)
        shape = field_shape(model, name) if model is not None else None
        if model is not None and shape is None:
            known = ", ".join(model.model_fields)
            ck.add(fields, key, f"{model.__name__} has no field {name!r} (fields: {known})", (name,))
            continue
        spec: ValueSpec | GroupSpec | None
        if isinstance(rule, dict) and "fields" in rule:
            spec = _group(name, rule, fields, shape, ck, key, has_hierarchy)
        else:
            spec = _value(name, rule, fields, shape, ck, key, in_list, has_hierarchy)
        if spec is not None:
            specs.append(spec)
    if model is not None:
        filled = set(fields)
        for name in required_fields(model):
            alias = model.model_fields[name].alias
            if name not in filled and (alias is None or alias not in filled):
                message = f"required canonical field {model.__name__}.{name} is not filled by any rule"
                removed = getattr(fields, "removed", {}).get(name)
                if removed is not None:  # an overlay removed its rule: point at that line
                    ck.problems.append(
                        MappingProblem(removed[0], removed[1], "remove", f"{message} once removed")
                    )
                elif owner is not None and "fields" in getattr(owner, "key_lines", {}):
                    ck.add(owner, where or "fields", message, ("fields",))
                else:
                    ck.add(fields, where or "fields", message)
    return specs


def _value(
    name: str,
    rule: Any,
    parent: Any,
    shape: Any,
    ck: Checker,
    key: str,
    in_list: bool = False,
    has_hierarchy: bool = True,
) -> ValueSpec | None:
    loc: tuple[Any, ...]
    if isinstance(rule, str | list):
        rule = marked({"path": rule}, getattr(parent, "file", ""), parent.key_lines.get(name))
        node, loc = parent, (name,)
    elif isinstance(rule, dict):
        node, loc = rule, ()
    else:
        ck.add(parent, key, "a rule is a path, a list of paths, or a mapping of rule keys", (name,))
        return None
    checked = ck.validate(ValueRule, rule, key)
    if checked is None:
        return None
    if shape is not None and shape.kind in ("model", "list_model"):
        ck.add(parent, key, f"{name} is a nested {shape.kind.replace('_', ' ')}: give it 'fields:'", (name,))
        return None
    if checked.path is None and checked.const is None and checked.default is None:
        ck.add(parent, key, "a rule needs a path, a const or a default", (name,))
        return None
    if checked.const is not None and checked.path is not None:
        message = "const: and path: do not go together (a const is the value whatever the message says)"
        ck.add(node, key, message, ("const",))
    for which in ("const", "default"):
        written = getattr(checked, which)
        problem = value_problem(shape, written) if shape is not None and written is not None else None
        if problem is not None:
            ck.add(node, key, f"{which}: {written!r} does not fit {name}: {problem}", (which,))
    texts = checked.path if isinstance(checked.path, list) else ([checked.path] if checked.path else [])
    paths = []
    for i, text in enumerate(texts):
        sub = (
            (*loc, "path", i)
            if isinstance(checked.path, list) and loc == ()
            else (*loc, "path")
            if loc == ()
            else loc
        )
        path = ck.path(text, node, key, sub, value=True)
        if path is not None:
            paths.append(path)
    _check_lookups(checked, node, key, ck, in_list, has_hierarchy)
    all_values = checked.all
    within = _within(checked, node, key, ck)
    if all_values and shape is not None and shape.kind != "list_scalar":
        ck.add(node, key, f"all: true collects a list, but {name} is not a list field", ("all",))
    _check_fallback(checked, node, key, ck, in_list)
    fallback = checked.fallback
    return ValueSpec(
        name=name,
        paths=tuple(paths),
        const=checked.const,
        default=checked.default,
        required=checked.required and fallback is None,
        fallback=fallback,
        needed=checked.required,
        calls=ck.calls(checked.convert, node, key, ("convert",) if node is rule else loc),
        code=ck.code_list(checked.code, node, key, ("code",) if node is rule else loc),
        up=checked.up,
        all=all_values,
        skip_unknown=checked.skip_unknown,
        within=within,
        members=frozenset(checked.members) if checked.members is not None else None,
    )


def _check_lookups(
    checked: ValueRule, node: Any, key: str, ck: Checker, in_list: bool, has_hierarchy: bool
) -> None:
    """``up:`` names a level of a hierarchy the mapping reads; ``skip_unknown:`` sits in a list."""
    if checked.up is not None and checked.up != ROOT:
        if checked.up != PARENT and not re.fullmatch(r"[A-Z0-9]{1,3}", checked.up):
            ck.add(
                node,
                key,
                f"up: {checked.up!r} must be a hierarchy level code (e.g. O), 'parent' or 'root'",
                ("up",),
            )
        elif not has_hierarchy:
            ck.add(
                node,
                key,
                f"up: {checked.up} reads a level above, but this mapping reads no hierarchy "
                "(no level: group, no hierarchy: section)",
                ("up",),
            )
    if checked.skip_unknown and (checked.code is None or not in_list):
        ck.add(
            node,
            key,
            "skip_unknown: true needs a code: list and a rule directly inside a list (each: or level:)",
            ("skip_unknown",),
        )


def _within(checked: ValueRule, node: Any, key: str, ck: Checker) -> Path | None:
    """The loop selector of ``within:``, its ``members:`` checked as segment tags."""
    within = None
    if checked.within is not None:
        within = ck.path(checked.within, node, key, ("within",), value=False)
    elif checked.members is not None:
        ck.add(node, key, "members: goes with within: (the segments of that loop)", ("members",))
    for i, tag in enumerate(checked.members or []):
        if not TAG_RE.fullmatch(str(tag)):
            ck.add(node, key, f"{tag!r} is not a segment tag", ("members", i))
        else:
            ck.exists(node, key, ("members", i), str(tag))
    return within


def _check_fallback(checked: ValueRule, node: Any, key: str, ck: Checker, in_list: bool) -> None:
    """``fallback:`` needs a path to fall back from; ``index`` needs a list item to count."""
    if checked.fallback is None:
        return
    if checked.path is None or checked.default is not None:
        ck.add(node, key, "fallback: goes with a path: and no default:", ("fallback",))
    elif checked.fallback == "index" and not in_list:
        ck.add(
            node,
            key,
            "fallback: index counts list items: use it directly inside each: or level:",
            ("fallback",),
        )


def _group(
    name: str, rule: dict[str, Any], parent: Any, shape: Any, ck: Checker, key: str, has_hierarchy: bool
) -> GroupSpec | None:
    checked = ck.validate(GroupRule, rule, key)
    if checked is None:
        return None
    chosen = [k for k in ("within", "each", "level") if getattr(checked, k) is not None]
    if len(chosen) > 1:
        ck.add(rule, key, f"use one of within/each/level, not {' and '.join(chosen)}")
        return None
    kind = "list" if chosen and chosen[0] in ("each", "level") else "object"
    model = None
    if shape is not None:
        want = "list_model" if kind == "list" else "model"
        if shape.kind != want:
            what = "a list of objects (each/level)" if kind == "list" else "one object (within, or none)"
            ck.add(
                parent,
                key,
                f"this rule makes {what}, but {name} is a {shape.kind.replace('_', ' ')}",
                (name,),
            )
            return None
        model = shape.model
    spec = GroupSpec(name=name, kind=kind, required=checked.required)
    if checked.each == THIS:
        spec.this = True
    elif checked.each is not None or checked.within is not None:
        which = "each" if checked.each is not None else "within"
        spec.selector = ck.path(getattr(checked, which), rule, key, (which,), value=False)
    if checked.level is not None:
        if not has_hierarchy:
            ck.add(rule, key, "level: needs a hierarchy (X12 HL, or a hierarchy: section)", ("level",))
        levels = checked.level if isinstance(checked.level, list) else [checked.level]
        spec.levels = frozenset(str(v) for v in levels)
    for list_key in ("until", "members"):
        for i, tag in enumerate(getattr(checked, list_key) or []):
            if not TAG_RE.fullmatch(str(tag)):
                ck.add(rule, key, f"{tag!r} is not a segment tag", (list_key, i))
            else:
                ck.exists(rule, key, (list_key, i), str(tag))
    for bound in ("after", "before"):
        tag = getattr(checked, bound)
        if tag is not None:
            if not TAG_RE.fullmatch(tag):
                ck.add(rule, key, f"{bound}: {tag!r} is not a segment tag", (bound,))
            else:
                ck.exists(rule, key, (bound,), tag)
            setattr(spec, bound, tag)
    if checked.direct:
        if checked.level is None:
            ck.add(rule, key, "direct: true goes with level: (the node's children only)", ("direct",))
        spec.direct = True
    spec.until = frozenset(checked.until)
    spec.members = frozenset(checked.members) if checked.members is not None else None
    if checked.having is not None:
        spec.having = ck.path(checked.having, rule, key, ("having",), value=False)
    spec.fields = compile_inbound_fields(
        rule["fields"], model, ck, has_hierarchy=has_hierarchy, where=key, owner=rule, in_list=kind == "list"
    )
    if kind == "list":
        spec.once = once_tags(spec)
    spec.watch = bool(spec.once) or any(isinstance(f, GroupSpec) and f.watch for f in spec.fields)
    return spec


# --- outbound ------------------------------------------------------------------------


def default_ids(entries: list[Any]) -> list[str]:
    """Each entry's id: its ``id:``, else its tag (``N1#2`` for the second N1), else ``group#n``."""
    seen: dict[str, int] = {}
    ids = []
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            ids.append(entry["id"])
            continue
        tag = _entry_tag(entry) if isinstance(entry, dict) else None
        base = tag or "group"
        seen[base] = seen.get(base, 0) + 1
        ids.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return ids


def _entry_tag(entry: dict[str, Any]) -> str | None:
    tags = [k for k in entry if isinstance(k, str) and k[:1].isupper()]
    return tags[0] if len(tags) == 1 else None


def _field_ref(
    text: Any,
    model: type[BaseModel] | None,
    root_model: type[BaseModel] | None,
    ck: Checker,
    node: Any,
    key: str,
    loc: tuple[Any, ...],
    *,
    want_list: bool = False,
) -> FieldRef | None:
    if not isinstance(text, str) or not _FIELD_RE.match(text):
        ck.add(
            node,
            key,
            f"{text!r} is not a canonical field name like invoice_number, /currency or "
            "parties[role=remit_to].name",
            loc,
        )
        return None
    root = text.startswith("/")
    matches = [_PART_RE.match(part) for part in text.lstrip("/").split(".")]
    parts = tuple(m["name"] for m in matches if m)
    filters = tuple(
        (m["by"], frozenset(c.strip() for c in m["codes"].split("|"))) if m and m["by"] else None
        for m in matches
    )
    current = root_model if root else model
    for i, part in enumerate(parts):
        if current is None:
            break
        shape = field_shape(current, part)
        if shape is None:
            ck.add(node, key, f"{current.__name__} has no field {part!r}", loc)
            return None
        last = i == len(parts) - 1
        selected = filters[i]
        if selected is not None:
            if shape.kind != "list_model" or shape.model is None:
                ck.add(
                    node, key, f"{part}[...] selects list entries, but {part} is not a list of objects", loc
                )
                return None
            if field_shape(shape.model, selected[0]) is None:
                ck.add(node, key, f"{shape.model.__name__} has no field {selected[0]!r} to select by", loc)
                return None
        if last and want_list and shape.kind not in ("list_model", "list_scalar"):
            ck.add(node, key, f"{text} is not a list", loc)
            return None
        if not last and shape.kind == "list_model" and selected is None:
            ck.add(
                node,
                key,
                f"{'.'.join(parts[: i + 1])} is a list: loop over it with each:, "
                f"or select one entry like {part}[role=ship_to]",
                loc,
            )
            return None
        current = shape.model
    return FieldRef(parts, root, text, filters if any(f is not None for f in filters) else ())


def _item_model(ref: FieldRef | None, model: Any, root_model: Any) -> Any:
    if ref is None:
        return None
    current = root_model if ref.root else model
    for part in ref.parts:
        if current is None:
            return None
        shape = field_shape(current, part)
        current = shape.model if shape else None
    return current


def compile_outbound_segments(
    entries: Any, model: Any, root_model: Any, ck: Checker, where: str = "segments"
) -> list[SegmentSpec]:
    specs: list[SegmentSpec] = []
    if not isinstance(entries, list):
        ck.add(entries, where, "segments must be a list")
        return specs
    ids = default_ids(entries)
    for i, entry in enumerate(entries):
        loc_key = f"{where}[{i + 1}]"
        if not isinstance(entry, dict):
            ck.add(entries, loc_key, "a segment entry is a mapping like {BIG: {BIG01: ...}}", (i,))
            continue
        tags = [k for k in entry if isinstance(k, str) and k[:1].isupper()]
        file, line = getattr(entry, "file", ""), getattr(entry, "line", None)
        controls = marked({k: v for k, v in entry.items() if k not in tags}, file, line)
        controls.key_lines = {k: v for k, v in getattr(entry, "key_lines", {}).items() if k not in tags}
        checked = ck.validate(SegmentControls, controls, loc_key)
        if checked is None:
            continue
        if len(tags) > 1:
            ck.add(entry, loc_key, f"one segment per entry, found {', '.join(tags)}")
            continue
        if not tags and checked.segments is None:
            ck.add(entry, loc_key, "an entry needs a segment (e.g. BIG: {...}) or segments: [...]")
            continue
        spec = SegmentSpec(id=ids[i], tag=None, always=checked.always)
        item_model = model
        if checked.each is not None:
            spec.each = _field_ref(
                checked.each, model, root_model, ck, entry, loc_key, ("each",), want_list=True
            )
            item_model = _item_model(spec.each, model, root_model)
        if checked.when is not None:
            spec.when = _condition(checked.when, item_model, root_model, ck, entry, loc_key)
        if checked.segments is not None:
            spec.children = compile_outbound_segments(
                entry["segments"], item_model, root_model, ck, f"{loc_key}.segments"
            )
        if tags:
            tag = tags[0]
            if not TAG_RE.fullmatch(tag):
                ck.add(entry, loc_key, f"{tag!r} is not a segment tag", (tag,))
                continue
            if not ck.exists(entry, f"{loc_key}.{tag}", (tag,), tag):
                continue
            spec.tag = tag
            spec.elements = _elements(tag, entry[tag], item_model, root_model, ck, entry, f"{loc_key}.{tag}")
        specs.append(spec)
    return specs


def _condition(when: Any, model: Any, root_model: Any, ck: Checker, node: Any, key: str) -> Condition | None:
    if isinstance(when, str):
        ref = _field_ref(when, model, root_model, ck, node, key, ("when",))
        return Condition(ref) if ref else None
    assert isinstance(when, When)
    ref = _field_ref(when.field, model, root_model, ck, node, key, ("when", "field"))
    if ref is None:
        return None
    present = when.present
    if present is None and when.is_ is None and when.in_ is None and when.not_ is None:
        present = True
    return Condition(
        ref,
        is_=when.is_,
        in_=tuple(str(v) for v in when.in_) if when.in_ is not None else None,
        not_=when.not_,
        present=present,
    )


def _elements(
    tag: str, body: Any, model: Any, root_model: Any, ck: Checker, entry: Any, key: str
) -> list[ElementSpec]:
    result: list[ElementSpec] = []
    if body is None:
        return result
    if not isinstance(body, dict):
        ck.add(entry, key, f"{tag} must map element keys like {tag}01 to rules", (tag,))
        return result
    for el_key, rule in body.items():
        ekey = f"{key}.{el_key}"
        m = _ELEMENT_KEY_RE.match(str(el_key))
        if not m or m["tag"] != tag:
            ck.add(body, ekey, f"{el_key!r} is not an element of {tag} (write {tag}01, {tag}04-2)", (el_key,))
            continue
        element, comp = int(m["el"]), (int(m["comp"]) if m["comp"] else None)
        if element == 0 or comp == 0:
            ck.add(body, ekey, "element and component numbers start at 1", (el_key,))
            continue
        if not ck.exists(body, ekey, (el_key,), tag, element, comp):
            continue
        rule_node: dict[str, Any]
        loc: tuple[Any, ...]
        if isinstance(rule, str):
            rule_node = marked(
                {"field": rule}, getattr(body, "file", ""), getattr(body, "key_lines", {}).get(el_key)
            )
            node, loc = body, (el_key,)
        elif isinstance(rule, dict):
            rule_node, node, loc = rule, rule, ()
        else:
            ck.add(body, ekey, "an element rule is a field name or a mapping like {const: SE}", (el_key,))
            continue
        checked = ck.validate(ElementRule, rule_node, ekey)
        if checked is None:
            continue
        spec = _element_spec(
            checked, (element, comp, str(el_key)), tag, body, (model, root_model), ck, node, ekey, loc
        )
        if spec is None:
            continue
        result.append(spec)
    return result


def _element_spec(
    checked: ElementRule,
    address: tuple[int, int | None, str],
    tag: str,
    body: Any,
    models: tuple[Any, Any],
    ck: Checker,
    node: Any,
    ekey: str,
    loc: tuple[Any, ...],
) -> ElementSpec | None:
    """The compiled rule of one element (``address``: element, component, key such as ``BIG01``)."""
    element, comp, el_key = address
    model, root_model = models
    sources = [k for k in ("field", "const", "count", "sum", "multiply") if getattr(checked, k) is not None]
    if checked.index:
        sources.append("index")
    if len(sources) != 1:
        ck.add(node, ekey, "give exactly one of field, const, count, sum, multiply, index", loc)
        return None
    spec = ElementSpec(
        element,
        comp,
        el_key,
        const=checked.const,
        default=checked.default,
        required=checked.required,
        index=checked.index,
    )
    sub = loc or ()
    if checked.field is not None:
        spec.field = _field_ref(checked.field, model, root_model, ck, node, ekey, sub or ("field",))
    if checked.count is not None:
        spec.count = _field_ref(
            checked.count, model, root_model, ck, node, ekey, sub or ("count",), want_list=True
        )
    if checked.sum is not None:
        spec.sum = _product(checked.sum, model, root_model, ck, node, ekey, sub or ("sum",))
    if checked.multiply is not None:
        refs = [
            _field_ref(f, model, root_model, ck, node, ekey, sub or ("multiply",)) for f in checked.multiply
        ]
        if all(r is not None for r in refs) and refs:
            spec.multiply = tuple(r for r in refs if r is not None)
    if checked.with_ is not None:
        w = _ELEMENT_KEY_RE.match(checked.with_)
        if not w or w["tag"] != tag or checked.with_ not in body:
            ck.add(
                node,
                ekey,
                f"with: {checked.with_!r} must be another element of this {tag}",
                sub or ("with",),
            )
        else:
            spec.with_ = (int(w["el"]), int(w["comp"]) if w["comp"] else None)
    spec.calls = ck.calls(checked.convert, node, ekey, sub or ("convert",))
    spec.code = ck.code_list(checked.code, node, ekey, sub or ("code",))
    if spec.sum is not None:  # each item rounded as the lines write their own amounts
        spec.sum = dataclasses.replace(spec.sum, places=_places(spec.calls))
    return spec


def _product(
    text: str, model: Any, root_model: Any, ck: Checker, node: Any, key: str, loc: tuple[Any, ...]
) -> Product | None:
    """``lines.quantity*unit_price``, or alternatives per item: ``lines.amount|quantity*unit_price``."""
    shape = "must look like lines.amount, lines.quantity*unit_price or lines.amount|quantity*unit_price"
    head = text.strip()
    items_text, dot, _ = head.split("|")[0].split("*")[0].strip().rpartition(".")
    if not dot or not items_text:
        ck.add(node, key, f"sum: {text!r} {shape}", loc)
        return None
    items = _field_ref(items_text, model, root_model, ck, node, key, loc, want_list=True)
    if items is None:
        return None
    item_model = _item_model(items, model, root_model)
    alternatives = []
    for k, alternative in enumerate(head[len(items_text) + 1 :].split("|")):
        factors = []
        for name in [part.strip() for part in alternative.split("*")]:
            ref = _field_ref(name, item_model, root_model, ck, node, key, loc) if name else None
            if ref is None:
                if not name:
                    ck.add(node, key, f"sum: {text!r} {shape} (alternative {k + 1} is empty)", loc)
                return None
            factors.append(ref)
        alternatives.append(tuple(factors))
    return Product(items, tuple(alternatives), text)


def _places(calls: tuple[Any, ...]) -> int | None:
    """The decimal places a sum's ``convert:`` writes (``decimal(2)``, ``implied(2)``), if any."""
    for call in calls:
        found = re.fullmatch(r"(?:decimal|implied)\((\d+)\)", call.text)
        if found:
            return int(found[1])
    return None


__all__ = [
    "MarkedDict",
    "compile_inbound_fields",
    "compile_outbound_segments",
    "default_ids",
    "expand_dotted",
]
