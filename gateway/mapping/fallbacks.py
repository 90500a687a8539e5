"""Values a message may leave out: a line's position, a partner's default (``fallback:``).

A rule with ``fallback: index`` (inside a list) takes the item's position in its list
(``"1"``, ``"2"``...) when its path finds nothing: an IT1 whose optional IT101 is empty
is still line 2. A rule with ``fallback: partner`` takes the caller's default for that
canonical field (the partner profile's ``default_currency`` for ``currency``) and says so
in a :class:`TranslationNote`, which the caller puts in the message's timeline. Without a
default, a rule that is also ``required`` fails the message as any missing value does.

Fallbacks are applied to the values both engines read (the compiled scanners and the
reference reader), after reading and before the canonical model checks them, so the two
engines cannot disagree about them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from gateway.edi.errors import Position
from gateway.edi.model import Transaction
from gateway.mapping.errors import TranslationError, dotted
from gateway.mapping.specs import GroupSpec, ValueSpec

INDEX = "index"
PARTNER = "partner"


@dataclass(frozen=True, slots=True)
class TranslationNote:
    """Something the translation did that the message did not say (a warning, not an error)."""

    message: str
    field: str
    position: Position | None = None

    def describe(self) -> str:
        where = self.position.describe() if self.position is not None else "transaction"
        return f"{where}, field {self.field}: {self.message}"


@dataclass(frozen=True, slots=True)
class Translation:
    """A translated document with the notes made while translating it."""

    document: Any
    notes: tuple[TranslationNote, ...] = ()


def has_fallbacks(fields: list[ValueSpec | GroupSpec]) -> bool:
    """True when a rule of ``fields`` (at any depth) has a ``fallback:``."""
    return any(
        (isinstance(s, ValueSpec) and s.fallback is not None)
        or (isinstance(s, GroupSpec) and has_fallbacks(s.fields))
        for s in fields
    )


def fallback_fields(fields: list[ValueSpec | GroupSpec]) -> list[ValueSpec | GroupSpec]:
    """``fields`` cut down to the rules with a ``fallback:`` and the groups that hold one (at any
    depth): what :func:`apply_fallbacks` walks, built once per mapping (``Plan.fallbacks``) rather
    than walking every rule of every document. Empty when the mapping has no fallback."""
    out: list[ValueSpec | GroupSpec] = []
    for spec in fields:
        if isinstance(spec, ValueSpec):
            if spec.fallback is not None:
                out.append(spec)
        elif has_fallbacks(spec.fields):
            out.append(replace(spec, fields=fallback_fields(spec.fields), plan=None))
    return out


class _Filler:
    def __init__(
        self, tx: Transaction, mapping: str, defaults: Mapping[str, Any], notes: list[TranslationNote]
    ) -> None:
        self.tx, self.mapping, self.defaults, self.notes = tx, mapping, defaults, notes

    def fill(
        self, fields: list[ValueSpec | GroupSpec], out: dict[str, Any], at: int, loc: tuple[Any, ...]
    ) -> None:
        for spec in fields:
            if isinstance(spec, ValueSpec):
                if spec.fallback is not None and out.get(spec.name) is None:
                    self.value(spec, out, at, (*loc, spec.name))
                continue
            inner = out.get(spec.name)
            if spec.kind == "list" and isinstance(inner, list):
                for k, item in enumerate(inner):
                    if isinstance(item, dict):
                        self.fill(spec.fields, item, k + 1, (*loc, spec.name, k))
            elif isinstance(inner, dict):
                self.fill(spec.fields, inner, at, (*loc, spec.name))
            elif inner is None and spec.shares_scope and has_fallbacks(spec.fields):
                fresh: dict[str, Any] = {}
                self.fill(spec.fields, fresh, at, (*loc, spec.name))
                if fresh:
                    out[spec.name] = fresh

    def value(self, spec: ValueSpec, out: dict[str, Any], at: int, loc: tuple[Any, ...]) -> None:
        wanted = " or ".join(p.text for p in spec.paths) or spec.name
        if spec.fallback == INDEX and at:
            out[spec.name] = str(at)
            return
        default = self.defaults.get(spec.name) if spec.fallback == PARTNER else None
        if default is not None:
            out[spec.name] = default
            message = f"no {wanted}: {spec.name} {default} is the partner profile's default"
            self.notes.append(TranslationNote(message, dotted(loc), self.tx.position(0)))
            return
        if spec.needed:
            why = f" and the partner profile has no default {spec.name}" if spec.fallback == PARTNER else ""
            raise TranslationError(
                f"required value missing: no {wanted}{why}", self.tx.position(0), dotted(loc), self.mapping
            )


def apply_fallbacks(
    tx: Transaction,
    fields: list[ValueSpec | GroupSpec],
    data: dict[str, Any],
    *,
    mapping: str = "",
    defaults: Mapping[str, Any] | None = None,
    notes: list[TranslationNote] | None = None,
) -> None:
    """Fill ``data`` (read from ``tx``) where a ``fallback:`` rule found nothing; note defaults taken.

    Raises :class:`TranslationError` when a required value has no fallback value either.
    """
    _Filler(tx, mapping, defaults or {}, notes if notes is not None else []).fill(fields, data, 0, ())
