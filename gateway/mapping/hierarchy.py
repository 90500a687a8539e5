"""Hierarchies of segments: the X12 856 HL tree, or EDIFACT CPS packaging levels.

A hierarchy segment names itself (HL01 / CPS01), its parent (HL02 / CPS02) and its level
(HL03: S, O, T, P, I). Nodes are linked by those ids, never by the order of segments, so
items that come after all the packs, or an order declared between two items of another,
land where their parent ids say. A node's own segments run from its hierarchy segment to
the next one; the last node stops before the summary (CTT / CNT) and the trailer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gateway.mapping.errors import TranslationError
from gateway.mapping.schema import Hierarchy

#: Segments that end the last node: the summary and the trailer.
TRAILING_TAGS = ("SE", "UNT", "CTT", "CNT")


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


def build_tree(
    segments: list[Any],
    ordinals: list[int],
    hierarchy: Hierarchy,
    error: Callable[[str, int, int], TranslationError],
) -> list[Node]:
    """The nodes of the hierarchy segments at ``ordinals``, in message order, linked by ids.

    Raises the ``error(message, segment ordinal, element)`` it is given for an id used
    twice or a parent that is not an earlier node.
    """
    h = hierarchy
    nodes: list[Node] = []
    by_id: dict[str, Node] = {}
    last_end = _trailer_start(segments)
    for k, i in enumerate(ordinals):
        seg = segments[i]
        end = ordinals[k + 1] if k + 1 < len(ordinals) else last_end
        node = Node(_text(seg, h.id), _text(seg, h.parent), _text(seg, h.level), i, end)
        if node.id in by_id:
            raise error(f"hierarchy id {node.id!r} is used twice", i, h.id)
        if node.parent_id:
            parent = by_id.get(node.parent_id)
            if parent is None:
                raise error(f"parent {node.parent_id!r} is not an earlier {h.segment}", i, h.parent)
            node.parent = parent
            parent.children.append(node)
        by_id[node.id] = node
        nodes.append(node)
    return nodes


def descendants(node: Node) -> list[Node]:
    """Every node below ``node``, depth first, in message order within each parent."""
    result: list[Node] = []
    stack = list(reversed(node.children))
    while stack:
        current = stack.pop()
        result.append(current)
        stack.extend(reversed(current.children))
    return result


def _trailer_start(segments: list[Any]) -> int:
    end = len(segments)
    while end > 0 and segments[end - 1][0] in TRAILING_TAGS:
        end -= 1
    return end


def _text(seg: list[Any], index: int) -> str:
    if index >= len(seg):
        return ""
    value = seg[index]
    return (value[0] if value else "") if isinstance(value, list) else value
