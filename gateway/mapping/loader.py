"""Load a mapping file (plus overlays) into a checked, compiled :class:`Mapping`.

Loading runs in four steps, each collecting every problem it finds:

1. read the YAML, keeping file and line of every key (``yamlfile``);
2. if the file is an overlay (``overlay: <base>``), load its base first and apply the
   overlay to the base's tree: ``fields`` (dotted names reach into loops, e.g.
   ``lines.item.asin``), ``remove``, ``codes``, and for outbound ``add`` / ``replace`` /
   ``remove`` of segment entries by id; then apply the partner overlays the same way;
3. check the merged tree against the pydantic file schema (``schema``);
4. compile it (``compiler``): paths, functions, code lists, canonical fields.

Any problem raises one :class:`MappingError` listing them all with file and line.
Mapping names are file stems (``x12-004010-850-in``) resolved in the mappings folder.
"""

from __future__ import annotations

import copy
import logging
import os
import re
from collections.abc import Callable, Iterator, Sequence
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from gateway.canonical import DOCUMENT_TYPES
from gateway.common.yamlfile import (
    MarkedDict,
    MarkedList,
    YamlError,
    line_of,
    load_yaml_file,
    load_yaml_text,
    marked,
)
from gateway.edi.model import OutboundTransaction, Transaction
from gateway.mapping.checks import Checker
from gateway.mapping.codes import CodeList
from gateway.mapping.compiler import (
    compile_inbound_fields,
    compile_outbound_segments,
    default_ids,
    expand_dotted,
)
from gateway.mapping.errors import MappingError, MappingProblem
from gateway.mapping.fallbacks import Translation, TranslationNote
from gateway.mapping.inbound import translate_transaction
from gateway.mapping.outbound import SegmentSpec, render_document
from gateway.mapping.plan import Plan, build_plan
from gateway.mapping.schema import CodesFile, Hierarchy, InboundFile, OutboundFile, OverlayFile
from gateway.mapping.specs import GroupSpec, ValueSpec
from gateway.mapping.versions import version_problems

log = logging.getLogger(__name__)


def read_mapping_yaml(path: Path) -> Any:
    """Read a mapping file's YAML. Raises :class:`MappingError` when unreadable or not YAML."""
    try:
        return load_yaml_file(path)
    except YamlError as exc:
        raise MappingError(exc.problems) from None


#: the keys that say what a mapping serves (what :class:`~gateway.mapping.registry.MappingRegistry`
#: reads of every file to choose one)
HEAD_KEYS = ("standard", "document", "direction", "versions", "overlay")
_HEAD_LINE = re.compile(r"(?:standard|document|direction|versions|overlay)\s*:")


def read_mapping_head(path: Path) -> Any:
    """The :data:`HEAD_KEYS` of a mapping file, read from their own top-level lines only.

    A registry reads what every file serves but compiles only the mapping it is asked for, so
    it need not build the whole tree of each file: the lines of a head key (its line at the
    left margin and the indented or ``-`` lines under it) are read by the same YAML loader, as
    a document of their own. Where that cannot be trusted to give what the whole file gives (a
    head key written another way, such as quoted, or a snippet that is not a mapping), the whole
    file is read (:func:`read_mapping_yaml`, whose errors name the file and line).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return read_mapping_yaml(path)  # the whole read reports it
    kept: list[str] = []
    keeping = False
    for line in text.splitlines():
        if line[:1] not in ("", " ", "\t", "#", "-"):  # a top-level key, or other top-level text
            keeping = _HEAD_LINE.match(line) is not None
        elif line.startswith(("---", "...")):
            keeping = False
        if keeping:
            kept.append(line)
    try:
        head = load_yaml_text("\n".join(kept), str(path)) if kept else None
    except YamlError:
        head = None
    if not isinstance(head, dict) or any(key not in head and key in text for key in HEAD_KEYS):
        return read_mapping_yaml(path)
    return head


MAPPINGS_DIR = Path(__file__).resolve().parents[2] / "mappings"
CODES_SUBDIR = "codes"
_MAX_OVERLAY_DEPTH = 8


def default_root() -> Path:
    """The mappings folder: ``$ACORN_MAPPINGS`` or the project's ``mappings/``."""
    env = os.environ.get("ACORN_MAPPINGS")
    return Path(env) if env else MAPPINGS_DIR


class CanonicalModels(MappingABC[str, type[BaseModel]]):
    """The canonical document types by name (``purchase_order`` -> ``PurchaseOrder``), and the
    outbound layouts (``ship_notice``: a shipment with its HL hierarchy laid out); each class is
    imported when a mapping names it (see :data:`gateway.canonical.DOCUMENT_TYPES`)."""

    def __getitem__(self, key: str) -> type[BaseModel]:
        if key == "ship_notice":
            from gateway.canonical.ship_notice import ShipNotice

            return ShipNotice
        return DOCUMENT_TYPES[key]

    def __iter__(self) -> Iterator[str]:
        yield from DOCUMENT_TYPES
        yield "ship_notice"

    def __len__(self) -> int:
        return len(DOCUMENT_TYPES) + 1


def canonical_models() -> MappingABC[str, type[BaseModel]]:
    """The canonical models a mapping may name: :class:`CanonicalModels`."""
    return CanonicalModels()


@dataclass
class Mapping:
    """A compiled mapping: translate transactions (inbound) or render documents (outbound)."""

    name: str
    file: str
    direction: str
    standard: str
    document: str
    versions: list[str]
    canonical: str
    model: type[BaseModel] | None
    description: str = ""
    overlays: list[str] = field(default_factory=list)
    fields: list[ValueSpec | GroupSpec] = field(default_factory=list)
    hierarchy: Hierarchy | None = None
    segments: list[SegmentSpec] = field(default_factory=list)
    message_version: str | list[str] | None = None
    plan: Plan | None = field(default=None, repr=False)

    def translate(
        self,
        tx: Transaction,
        extra: dict[str, Any] | None = None,
        *,
        defaults: MappingABC[str, Any] | None = None,
        notes: list[TranslationNote] | None = None,
    ) -> BaseModel:
        """The canonical document of one transaction. Raises :class:`TranslationError`.

        ``defaults``: the partner's values for ``fallback: partner`` rules (e.g.
        ``{"currency": "EUR"}``); each one used is appended to ``notes``.
        """
        if self.direction != "inbound" or self.model is None:
            raise ValueError(f"{self.name} is not an inbound mapping")
        if self.plan is None:
            self.plan = build_plan(self.fields)
        return translate_transaction(
            tx,
            self.fields,
            self.model,
            hierarchy=self.hierarchy,
            mapping=self.file,
            extra=extra,
            plan=self.plan,
            defaults=defaults,
            notes=notes,
        )

    def translate_noted(
        self,
        tx: Transaction,
        extra: dict[str, Any] | None = None,
        defaults: MappingABC[str, Any] | None = None,
    ) -> Translation:
        """The document of one transaction with the notes made on the way (defaults taken).

        Raises :class:`TranslationError`.
        """
        notes: list[TranslationNote] = []
        document = self.translate(tx, extra, defaults=defaults, notes=notes)
        return Translation(document, tuple(notes))

    def render(self, doc: BaseModel | dict[str, Any], control_number: str = "0001") -> OutboundTransaction:
        """The body segments of one document. Raises :class:`TranslationError`."""
        if self.direction != "outbound":
            raise ValueError(f"{self.name} is not an outbound mapping")
        return render_document(
            doc,
            self.segments,
            document=self.document,
            control_number=control_number,
            version=self.message_version,
            mapping=self.file,
        )


# --- files ---------------------------------------------------------------------------


def resolve(name_or_path: str | Path, root: Path) -> Path:
    """A mapping file from a path or a name (file stem, searched recursively under ``root``)."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") and (path.exists() or path.is_absolute() or len(path.parts) > 1):
        return path
    name = str(name_or_path)
    for candidate in (root / f"{name}.yaml", root / "overlays" / f"{name}.yaml"):
        if candidate.is_file():
            return candidate
    found = sorted(root.rglob(f"{name}.yaml"))
    if found:
        return found[0]
    raise MappingError.one(str(name_or_path), None, "", f"no mapping named {name!r} under {root}")


def load_shared_codes(root: Path) -> tuple[dict[str, dict[str, Any]], list[MappingProblem]]:
    """Every code list of ``root/codes/*.yaml``, by name."""
    tables: dict[str, dict[str, Any]] = {}
    problems: list[MappingProblem] = []
    folder = root / CODES_SUBDIR
    if not folder.is_dir():
        return tables, problems
    for path in sorted(folder.glob("*.yaml")):
        try:
            tree = read_mapping_yaml(path)
        except MappingError as exc:
            problems.extend(exc.problems)
            continue
        ck = Checker("x12", default_file=str(path))
        checked = ck.validate(CodesFile, tree, "")
        problems.extend(ck.problems)
        if checked is None:
            continue
        for name in checked.codes:
            if name in tables:
                problems.append(
                    MappingProblem(
                        str(path),
                        tree["codes"].key_lines.get(name),
                        f"codes.{name}",
                        "a shared code list of this name is already defined",
                    )
                )
            tables[name] = tree["codes"][name]
    return tables, problems


def _read_tree(path: Path, depth: int, root: Path) -> tuple[Any, list[str], list[MappingProblem]]:
    """The YAML tree of ``path`` with its overlay chain applied; the chain of files; the
    overlays' problems (see :func:`merge_overlay`)."""
    tree = read_mapping_yaml(path)
    if not isinstance(tree, MarkedDict):
        raise MappingError.one(str(path), getattr(tree, "line", 1), "", "a mapping file is a YAML mapping")
    if "overlay" not in tree:
        return tree, [str(path)], []
    if depth > _MAX_OVERLAY_DEPTH:
        raise MappingError.one(str(path), tree.key_lines.get("overlay"), "overlay", "overlays nest too deep")
    ck = Checker("x12", default_file=str(path))
    overlay = ck.validate(OverlayFile, tree, "")
    if overlay is None:
        raise MappingError(ck.problems)
    try:
        base_path = resolve(overlay.overlay, root)
    except MappingError:
        raise MappingError.one(
            str(path), tree.key_lines.get("overlay"), "overlay", f"no base mapping named {overlay.overlay!r}"
        ) from None
    base, chain, problems = _read_tree(base_path, depth + 1, root)
    merged, more = merge_overlay(base, tree, load_shared_codes(root)[0])
    return merged, [*chain, str(path)], problems + more


def partner_chain(path: Path, root: Path) -> list[tuple[Path, MarkedDict]]:
    """The partner overlay ``path`` with the partner overlays it builds on, parents first.

    An overlay may name another partner overlay (one without ``versions:``) as its base:
    ``overlay: example-partner-850`` means "that overlay, then mine". The chain stops at the
    first file that is a mapping of its own. Raises :class:`MappingError`.
    """
    found: list[tuple[Path, MarkedDict]] = []
    while True:
        tree = read_mapping_yaml(path)
        if not isinstance(tree, MarkedDict) or "overlay" not in tree:
            raise MappingError.one(
                str(path),
                getattr(tree, "line", 1),
                "overlay",
                "a partner overlay names its base with overlay: <mapping name>",
            )
        found.insert(0, (path, tree))
        if len(found) > _MAX_OVERLAY_DEPTH:
            line = tree.key_lines.get("overlay")
            raise MappingError.one(str(path), line, "overlay", "overlays nest too deep")
        try:
            base_path = resolve(str(tree["overlay"]), root)
        except MappingError:
            return found  # compiling reports the unknown base with its line
        base = read_mapping_yaml(base_path)
        if not isinstance(base, dict) or "overlay" not in base or base.get("versions"):
            return found
        path = base_path


def merge_overlay(
    base: MarkedDict, overlay: MarkedDict, shared: MappingABC[str, Any] | None = None
) -> tuple[MarkedDict, list[MappingProblem]]:
    """``base`` with as much of ``overlay`` applied as can be, and what could not.

    An overlay's code list adds to (or changes codes of) the list of that name the base
    mapping uses: its own ``codes:`` entry, else the shared list of ``shared`` (``codes/*.yaml``).

    A rule whose target is missing (a group the base lacks, a field to remove that is not
    there) is left out and reported, so the merged mapping can still be checked and every
    problem of the overlay shown at once. An overlay whose own keys are wrong changes nothing.
    """
    ck = Checker("x12", default_file=overlay.file)
    checked = ck.validate(OverlayFile, overlay, "")
    if checked is None:
        return base, ck.problems
    result = copy.copy(base)
    result.key_lines = dict(base.key_lines)
    if checked.versions is not None:
        result["versions"] = overlay["versions"]
        result.key_lines["versions"] = overlay.key_lines["versions"]
    if "description" in overlay:
        result["description"] = overlay["description"]
    if checked.codes:
        codes = marked(dict(base.get("codes") or {}), overlay.file, overlay.key_lines.get("codes"))
        codes.key_lines = dict(getattr(base.get("codes"), "key_lines", {}))
        for name, table in overlay["codes"].items():
            current = codes.get(name) or (shared or {}).get(name) or {}
            merged = marked(dict(current), overlay.file, overlay["codes"].key_lines[name])
            merged.update(table)
            codes[name] = merged
            codes.key_lines[name] = overlay["codes"].key_lines[name]
        result["codes"] = codes
        result.key_lines["codes"] = codes.line
    direction = base.get("direction")
    if direction == "outbound":
        _overlay_segments(result, overlay, checked, ck)
    else:
        _overlay_fields(result, overlay, checked, ck)
    return result, ck.problems


def _copy_group(node: Any) -> Any:
    if isinstance(node, MarkedDict):
        new = copy.copy(node)
        new.key_lines = dict(node.key_lines)
        return new
    return node


def _overlay_fields(result: MarkedDict, overlay: MarkedDict, checked: OverlayFile, ck: Checker) -> None:
    if checked.add or checked.replace:
        ck.add(
            overlay, "add" if checked.add else "replace", "add/replace are for outbound mappings; use fields:"
        )
        return
    fields = expand_dotted(result.get("fields") or marked({}))
    result["fields"] = fields

    def target(dotted: str, key: str, loc: tuple[Any, ...]) -> tuple[MarkedDict, str] | None:
        parts = dotted.split(".")
        node = fields
        for part in parts[:-1]:
            group = node.get(part)
            if not isinstance(group, dict) or "fields" not in group:
                ck.add(overlay, key, f"the base mapping has no group {part!r} to reach {dotted!r}", loc)
                return None
            group = _copy_group(group)
            group["fields"] = expand_dotted(group["fields"])
            node[part] = group
            node = group["fields"]
        return node, parts[-1]

    for dotted, rule in overlay.get("fields", {}).items():
        found = target(str(dotted), f"fields.{dotted}", ("fields", dotted))
        if found is not None:
            node, last = found
            line = overlay["fields"].key_lines[dotted]
            if isinstance(rule, str | list):  # a shorthand path: keep the overlay's file and line
                rule = marked({"path": rule}, overlay.file, line)
            node[last] = rule
            node.key_lines[last] = line
    for i, dotted in enumerate(checked.remove):
        found = target(dotted, "remove", ("remove", i))
        if found is not None:
            node, last = found
            if last not in node:
                ck.add(overlay, "remove", f"the base mapping has no field {dotted!r}", ("remove", i))
            else:
                del node[last]
                # remembered, so that a required field left unfilled is blamed on this line
                node.removed = {
                    **getattr(node, "removed", {}),
                    last: (overlay.file, line_of(overlay, ("remove", i))),
                }


def _overlay_segments(result: MarkedDict, overlay: MarkedDict, checked: OverlayFile, ck: Checker) -> None:
    if checked.fields:
        ck.add(overlay, "fields", "fields: is for inbound mappings; use add/replace/remove")
        return
    segments = _copy_list(result.get("segments") or MarkedList())
    result["segments"] = segments

    def locate(seg_id: str, key: str, loc: tuple[Any, ...]) -> tuple[MarkedList, int] | None:
        hit = _find_entry(segments, seg_id)
        if hit is None:
            ck.add(overlay, key, f"the base mapping has no segment entry with id {seg_id!r}", loc)
        return hit

    for seg_id, entry in overlay.get("replace", {}).items():
        hit = locate(str(seg_id), f"replace.{seg_id}", ("replace", seg_id))
        if hit is not None:
            lst, i = hit
            new = _copy_group(entry)
            new.setdefault("id", seg_id)
            lst[i] = new
            lst.item_lines[i] = overlay["replace"].key_lines[seg_id]
    for i, entry in enumerate(overlay.get("add", [])):
        anchor = entry.get("after") or entry.get("before")
        if not anchor:
            ck.add(overlay, f"add[{i + 1}]", "say where: after: <id> or before: <id>", ("add", i))
            continue
        hit = locate(str(anchor), f"add[{i + 1}]", ("add", i))
        if hit is not None:
            lst, at = hit
            new = _copy_group(entry)
            for k in ("after", "before"):
                new.pop(k, None)
            pos = at + 1 if entry.get("after") else at
            lst.insert(pos, new)
            lst.item_lines.insert(pos, overlay["add"].item_lines[i])
    for i, seg_id in enumerate(checked.remove):
        hit = locate(seg_id, "remove", ("remove", i))
        if hit is not None:
            lst, at = hit
            del lst[at]
            del lst.item_lines[at]


def _copy_list(lst: MarkedList) -> MarkedList:
    new = MarkedList(_copy_group(e) for e in lst)
    new.file, new.line, new.item_lines = lst.file, lst.line, list(lst.item_lines)
    for e in new:
        if isinstance(e, MarkedDict) and isinstance(e.get("segments"), MarkedList):
            e["segments"] = _copy_list(e["segments"])
    return new


def _find_entry(lst: MarkedList, seg_id: str) -> tuple[MarkedList, int] | None:
    for i, (entry, eid) in enumerate(zip(lst, default_ids(list(lst)), strict=True)):
        if eid == seg_id:
            return lst, i
        if isinstance(entry, dict) and isinstance(entry.get("segments"), MarkedList):
            hit = _find_entry(entry["segments"], seg_id)
            if hit is not None:
                return hit
    return None


# --- compile -------------------------------------------------------------------------


def load_mapping(
    base: str | Path,
    overlays: Sequence[str | Path] = (),
    *,
    root: Path | None = None,
    models: MappingABC[str, type[BaseModel]] | None = None,
) -> Mapping:
    """Load, check and compile a mapping with partner overlays applied in order.

    ``base`` and ``overlays`` are file paths or names under ``root`` (default
    :func:`default_root`). ``models`` maps canonical names to pydantic classes (default:
    the canonical registry). Raises :class:`MappingError` listing every problem.
    """
    root = root or default_root()
    path = resolve(base, root)
    tree, chain, problems = _read_tree(path, 0, root)
    shared = load_shared_codes(root)[0] if overlays else {}
    for overlay in overlays:
        for opath, otree in partner_chain(resolve(overlay, root), root):
            if str(opath) in chain:  # a parent overlay the partner also lists: applied once
                continue
            tree, more = merge_overlay(tree, otree, shared)
            problems += more
            chain.append(str(opath))
    # the overlays' own problems and those of the mapping they make, all in one report
    try:
        mapping = compile_tree(tree, path, root=root, models=models, chain=chain)
    except MappingError as exc:
        raise MappingError(problems + exc.problems) from None
    if problems:
        raise MappingError(problems)
    return mapping


def compile_tree(
    tree: MarkedDict,
    path: Path,
    *,
    root: Path,
    models: MappingABC[str, type[BaseModel]] | None = None,
    chain: list[str] | None = None,
) -> Mapping:
    """Check and compile a merged YAML tree. Raises :class:`MappingError`."""
    file = str(path)
    direction = tree.get("direction")
    schema = OutboundFile if direction == "outbound" else InboundFile
    ck = Checker(str(tree.get("standard") or "x12"), default_file=file)
    placeholder: Any
    body_key, placeholder = ("segments", [{}]) if schema is OutboundFile else ("fields", {})
    header_tree = {k: v for k, v in tree.items() if k != body_key} | {body_key: placeholder}
    header = ck.validate(schema, header_tree, "")
    if header is None:
        raise MappingError(_relined(ck.problems, tree))
    for i, message in version_problems(header.standard, list(header.versions)):
        ck.add(tree, "versions", message, ("versions", i))
    shared, shared_problems = load_shared_codes(root)
    ck.problems.extend(shared_problems)
    tables = {**shared, **(tree.get("codes") or {})}
    ck.codes = {name: CodeList.build(name, dict(table)) for name, table in tables.items()}
    all_models = models if models is not None else canonical_models()
    model = all_models.get(header.canonical)
    if model is None:
        known = ", ".join(sorted(all_models)) or "none"
        ck.add(
            tree,
            "canonical",
            f"unknown canonical document {header.canonical!r} (known: {known})",
            ("canonical",),
        )
    mapping = Mapping(
        name=path.stem,
        file=file,
        direction=direction or "inbound",
        standard=header.standard,
        document=header.document,
        versions=list(header.versions),
        canonical=header.canonical,
        model=model,
        description=header.description,
        overlays=(chain or [file])[1:],
    )
    if isinstance(header, InboundFile):
        if "fields" not in tree:
            ck.add(tree, "fields", "missing key 'fields'")
        else:
            uses_levels = _uses_levels(tree["fields"])
            mapping.hierarchy = header.hierarchy or (Hierarchy() if uses_levels else None)
            mapping.fields = compile_inbound_fields(
                tree["fields"],
                model,
                ck,
                has_hierarchy=header.hierarchy is not None or _has_levels(tree["fields"]),
                owner=tree,
            )
    else:
        if "segments" not in tree:
            ck.add(tree, "segments", "missing key 'segments'")
        else:
            mapping.message_version = header.message_version if isinstance(header, OutboundFile) else None
            mapping.segments = compile_outbound_segments(tree["segments"], model, model, ck)
    if ck.problems:
        raise MappingError(ck.problems)
    log.debug("loaded mapping %s (%s)", mapping.name, " + ".join(chain or [file]))
    return mapping


def _relined(problems: list[MappingProblem], tree: MarkedDict) -> list[MappingProblem]:
    """Header problems were found on a copy: take their lines, and their files, from the tree.

    A merged tree keeps the file each key came from: a bad key of the base mapping is the
    base's problem (at its line there), not the overlay's that was being checked.
    """
    result = []
    for p in problems:
        first = p.key.split(".")[0] if p.key else ""
        line = tree.key_lines.get(first, p.line) if first else p.line
        file = (getattr(tree.get(first), "file", None) or tree.file) if first in tree else p.file
        result.append(MappingProblem(file or tree.file, line or tree.line, p.key, p.message))
    return result


def _any_rule(fields: Any, test: Callable[[dict[str, Any]], bool]) -> bool:
    """True when ``test`` holds for a rule of ``fields`` at any depth (groups' ``fields:`` too)."""
    if not isinstance(fields, dict):
        return False
    rules = [rule for rule in fields.values() if isinstance(rule, dict)]
    return any(test(rule) or _any_rule(rule.get("fields"), test) for rule in rules)


def _has_levels(fields: Any) -> bool:
    """True when a group of ``fields`` is read per hierarchy level (``level:``)."""
    return _any_rule(fields, lambda rule: "level" in rule)


def _uses_levels(fields: Any) -> bool:
    """True when a rule walks the hierarchy: a ``level:`` group or an ``up:`` other than root."""
    return _any_rule(fields, lambda rule: "level" in rule or rule.get("up") not in (None, "root"))
