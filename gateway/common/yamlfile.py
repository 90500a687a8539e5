"""Read YAML keeping the line of every mapping key and list item.

Mapping files are edited by hand, so every error must say *where*. PyYAML's composer
gives each node a start mark; this loader builds plain ``dict``/``list`` subclasses that
remember those lines (:class:`MarkedDict`, :class:`MarkedList`). Everything else is the
safe loader: no tags, no Python objects, except that every key is the text as written
(``00:`` is the code ``"00"``, ``no:`` a field named ``no``).

:func:`line_of` walks a location (as pydantic reports it, e.g. ``("fields", "po_number",
"path")``) down a marked tree and returns the deepest line it can find.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from gateway.common.problems import ProblemError

_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # C loader with libyaml


class YamlError(ProblemError):
    """A YAML file cannot be read or is not valid YAML; each problem names file and line."""

    summary = "invalid YAML"


class MarkedDict(dict):
    """A dict that knows its file, the line of itself and of each key.

    ``removed`` (set by a partner overlay's ``remove:``) maps a removed key to the file and
    line of the removal, so a required field left without a rule is blamed on that line.
    """

    file: str = ""
    line: int | None = None
    key_lines: dict[Any, int | None]
    removed: dict[str, tuple[str, int | None]]


class MarkedList(list):
    """A list that knows its file, the line of itself and of each item."""

    file: str = ""
    line: int | None = None
    item_lines: list[int | None]


class _Loader(_Base):  # type: ignore[misc, valid-type]
    pass


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> MarkedDict:
    result = MarkedDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be plain text", key_node.start_mark
            )
        # A key is the text as written: the code 00 stays "00" (not 0), a field named no
        # stays "no" (not False), whatever YAML would make of the same word as a value.
        key = key_node.value
        if key in result:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> MarkedList:
    result = MarkedList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def _keep_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    """Dates, times and sexagesimals stay text: ``20240131`` or ``12:30`` mean codes here."""
    return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _keep_text)


def load_yaml_text(text: str, file: str) -> Any:
    """Parse YAML text into marked dicts and lists. Raises :class:`YamlError` on bad YAML."""
    try:
        tree = yaml.load(text, Loader=_Loader)
        _set_file(tree, file)
        return tree
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise YamlError.one(file, line, "", f"not valid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise YamlError.one(file, None, "", f"not valid YAML: {exc}") from None


def _set_file(node: Any, file: str) -> None:
    if isinstance(node, MarkedDict):
        node.file = file
        for value in node.values():
            _set_file(value, file)
    elif isinstance(node, MarkedList):
        node.file = file
        for value in node:
            _set_file(value, file)


def marked(data: dict[str, Any], file: str = "", line: int | None = None) -> MarkedDict:
    """A :class:`MarkedDict` built in code (every key at ``line``)."""
    result = MarkedDict(data)
    result.file = file
    result.line = line
    result.key_lines = {k: line for k in data} if line is not None else {}
    return result


def load_yaml_file(path: Path) -> Any:
    """Read and parse a YAML file. Raises :class:`YamlError` when unreadable or invalid."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise YamlError.one(str(path), None, "", f"cannot read: {exc.strerror}") from None
    return load_yaml_text(text, str(path))


def file_of(tree: Any, loc: Iterable[Any]) -> str:
    """The file of the deepest marked node of ``tree`` reachable along ``loc``.

    An overlay's rule placed into its base mapping keeps the overlay's file, so a problem
    with it is reported in the overlay, at the overlay's line (:func:`line_of`).
    """
    file = getattr(tree, "file", "")
    node = tree
    for step in loc:
        if (isinstance(node, MarkedDict) and step in node) or (
            isinstance(node, MarkedList) and isinstance(step, int) and 0 <= step < len(node)
        ):
            node = node[step]
        else:
            break
        file = getattr(node, "file", "") or file
    return file


def line_of(tree: Any, loc: Iterable[Any]) -> int | None:
    """The line of the deepest node of ``tree`` reachable along ``loc``."""
    line = getattr(tree, "line", None)
    node = tree
    for step in loc:
        if isinstance(node, MarkedDict) and step in node:
            line = node.key_lines.get(step, line)
            node = node[step]
        elif isinstance(node, MarkedList) and isinstance(step, int) and 0 <= step < len(node):
            line = node.item_lines[step]
            node = node[step]
        else:
            break
        inner = getattr(node, "line", None)
        if inner is not None and not isinstance(node, MarkedDict):
            line = inner
    return line
