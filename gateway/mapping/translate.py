"""Translate a whole EDI payload: read it as a stream, pick each transaction's mapping.

:func:`iter_translated` yields each document (or problem) as soon as its transaction has
been read, so ``acorn translate`` on a 100 MB file holds one transaction at a time;
:func:`translate_payload` collects the same stream into a :class:`TranslatedFile` for
``acorn mappings test`` and callers that want a list. Envelope defects and misfits are
readable lines, never raised: one bad transaction does not hide the good ones.

Partner overlays come in as names. Looking a partner up is the caller's job (see
:mod:`gateway.cli.mapping_cmds`): :mod:`gateway.config` builds on this package, not the
other way round.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from gateway.edi import EdiError
from gateway.edi.errors import Issue, Severity
from gateway.edi.model import Transaction
from gateway.edi.reader import Source
from gateway.edi.stream import iter_transactions
from gateway.mapping.errors import MappingError, TranslationError
from gateway.mapping.registry import MappingRegistry

log = logging.getLogger(__name__)


@dataclass(slots=True)
class TranslatedFile:
    """The documents of one payload and every problem found, as readable lines."""

    documents: list[tuple[str, BaseModel]] = field(default_factory=list)  # (canonical name, document)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # defaults taken (TranslationNote.describe())

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_json(self) -> list[dict[str, Any]]:
        """The JSON contract: one object per document with its ``type``."""
        return [document_json(name, doc) for name, doc in self.documents]


def document_json(name: str, doc: BaseModel) -> dict[str, Any]:
    """A document as JSON-ready data: its ``to_json_dict()`` where it has one, with ``type`` first."""
    to_json = getattr(doc, "to_json_dict", None)
    data = to_json() if callable(to_json) else doc.model_dump(mode="json")
    return {"type": data.pop("type", name), **data}


def _overlays_note(overlays: Sequence[str], partner: str | None) -> str:
    """`` (overlays a, b of partner P)`` for a mapping error, so the reader knows where to look."""
    if not overlays:
        return ""
    whose = f" of partner {partner}" if partner else ""
    return f" (overlays {', '.join(map(str, overlays))}{whose})"


@dataclass(slots=True, frozen=True)
class Translated:
    """One transaction's document, with the defaults its mapping took (readable lines)."""

    name: str  # canonical name (``purchase_order``)
    document: BaseModel
    warnings: tuple[str, ...] = ()


@dataclass(slots=True, frozen=True)
class Problem:
    """One envelope defect or misfit, as a readable line naming where it is."""

    text: str


def iter_translated(
    source: Source,
    registry: MappingRegistry,
    overlays: Sequence[str] = (),
    partner: str | None = None,
    defaults: MappingABC[str, Any] | None = None,
) -> Iterator[Translated | Problem]:
    """Read ``source`` as a stream and yield each transaction's document or problem, in file order.

    ``overlays`` are the partner overlays to apply (names or paths), ``partner`` the partner
    they were taken from: the caller looks them up (``acorn translate`` reads the partner
    profiles through :mod:`gateway.config`, which this layer does not import). ``defaults`` are
    the partner profile's values for ``fallback: partner`` rules (``{"currency": "EUR"}``).
    Raises nothing: a file that is not EDI at all is one :class:`Problem`.
    """
    extra = {"partner": partner} if partner else None
    try:
        for item in iter_transactions(source):
            if isinstance(item, Issue):
                if item.severity is Severity.ERROR:
                    yield Problem(str(item))
            elif isinstance(item, Transaction) and not _broken(item):
                yield _translate_one(item, registry, overlays, partner, extra, defaults)
            # a broken transaction's envelope issue is an item of its own
    except EdiError as exc:
        yield Problem(str(exc.issue))


def _broken(tx: Transaction) -> bool:
    return any(issue.severity is Severity.ERROR for issue in tx.issues)


def _translate_one(
    tx: Transaction,
    registry: MappingRegistry,
    overlays: Sequence[str],
    partner: str | None,
    extra: dict[str, Any] | None,
    defaults: MappingABC[str, Any] | None,
) -> Translated | Problem:
    try:
        mapping = registry.select(tx.standard, tx.version, tx.type, "inbound", overlays)
    except MappingError as exc:
        note = _overlays_note(overlays, partner)
        return Problem(f"{tx.position(0).describe()}: {tx.type} {tx.version}{note}: {exc}")
    try:
        done = mapping.translate_noted(tx, extra, defaults)
    except TranslationError as exc:
        return Problem(f"{exc.describe()} [{Path(mapping.file).name}]")
    source_name = Path(mapping.file).name
    warnings = tuple(f"{note.describe()} [{source_name}]" for note in done.notes)
    return Translated(mapping.canonical, done.document, warnings)


def translate_payload(
    source: Source,
    registry: MappingRegistry,
    overlays: Sequence[str] = (),
    partner: str | None = None,
    defaults: MappingABC[str, Any] | None = None,
) -> TranslatedFile:
    """Every document and problem of ``source`` (:func:`iter_translated`, collected)."""
    result = TranslatedFile()
    for item in iter_translated(source, registry, overlays, partner, defaults):
        if isinstance(item, Problem):
            result.errors.append(item.text)
        else:
            result.documents.append((item.name, item.document))
            result.warnings.extend(item.warnings)
    return result
