"""Errors of the mapping layer: a bad mapping file, and a message that does not fit its mapping.

Two kinds, kept apart because they have different owners:

- :class:`MappingError` is the EDI coordinator's problem: a mapping file (or overlay) is
  wrong. It lists every :class:`MappingProblem` found, each naming the file, the line
  and the key, so ``acorn mappings check`` can print them as ``file:line: key: message``.
- :class:`TranslationError` is the message's problem: a transaction does not fit a good
  mapping (a required field missing, a bad date or number, an unknown code). It names
  the segment (its :class:`~gateway.edi.errors.Position`), the element and the canonical
  field.

A broken mapping never escapes the engine as anything else: :func:`translate` turns a
:class:`MappingError` met at translation time into a :class:`TranslationError` for the
message that needed the mapping.
"""

from __future__ import annotations

from typing import Any

from gateway.common.problems import Problem, ProblemError
from gateway.edi.errors import Position

#: One thing wrong in a mapping file (the same shape as every problem).
MappingProblem = Problem


class MappingError(ProblemError):
    """A mapping file (or overlay) is invalid. ``problems`` lists each defect with file and line."""

    summary = "invalid mapping"


class TranslationError(Exception):
    """A transaction does not fit its mapping.

    ``position`` is where in the EDI file (segment ordinal, tag, element), ``field`` the
    canonical field being filled (dotted, e.g. ``lines[2].unit_price``), ``mapping`` the
    mapping file used.
    """

    def __init__(
        self,
        message: str,
        position: Position | None = None,
        field: str | None = None,
        mapping: str | None = None,
    ) -> None:
        self.message = message
        self.position = position
        self.field = field
        self.mapping = mapping
        super().__init__(self.describe())

    def describe(self) -> str:
        parts = []
        if self.position is not None:
            parts.append(self.position.describe())
        if self.field:
            parts.append(f"field {self.field}")
        head = ", ".join(parts)
        return f"{head}: {self.message}" if head else self.message

    def as_dict(self) -> dict[str, object]:
        return {
            "message": self.message,
            "field": self.field,
            "mapping": self.mapping,
            "position": self.position.as_dict() if self.position else None,
        }


def dotted(loc: tuple[Any, ...]) -> str:
    """A location as a field name for people: ``("lines", 1, "quantity")`` -> ``lines[2].quantity``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part + 1}]"
        else:
            text += f".{part}" if text else str(part)
    return text
