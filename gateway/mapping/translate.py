"""Translate a whole EDI payload: parse, pick each transaction's mapping, collect documents.

This is what ``acorn translate`` and ``acorn mappings test`` run, and what the pipeline
can call per message. Envelope defects and misfits are collected as readable lines
(``errors``), never raised: one bad transaction does not hide the good ones.

Partner overlays come in as names. Looking a partner up is the caller's job (see
:mod:`gateway.cli.mapping_cmds`): :mod:`gateway.config` builds on this package, not the
other way round.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping as MappingABC
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from gateway.edi import EdiError, parse
from gateway.edi.reader import Source
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


def translate_payload(
    source: Source,
    registry: MappingRegistry,
    overlays: Sequence[str] = (),
    partner: str | None = None,
    defaults: MappingABC[str, Any] | None = None,
) -> TranslatedFile:
    """Parse ``source`` and translate each of its transactions.

    ``overlays`` are the partner overlays to apply (names or paths), ``partner`` the partner
    they were taken from: the caller looks them up (``acorn translate`` reads the partner
    profiles through :mod:`gateway.config`, which this layer does not import). ``defaults`` are
    the partner profile's values for ``fallback: partner`` rules (``{"currency": "EUR"}``);
    each one taken is a line of ``warnings``. Raises nothing: every problem is a line of ``errors``.
    """
    result = TranslatedFile()
    try:
        parsed = parse(source)
    except EdiError as exc:
        result.errors.append(str(exc.issue))
        return result
    result.errors.extend(str(issue) for issue in parsed.errors)
    extra = {"partner": partner} if partner else None
    for tx in parsed.transactions:
        if any(issue.severity.value == "error" for issue in tx.issues):
            continue  # its envelope is broken: already reported above
        try:
            mapping = registry.select(tx.standard, tx.version, tx.type, "inbound", overlays)
        except MappingError as exc:
            note = _overlays_note(overlays, partner)
            result.errors.append(f"{tx.position(0).describe()}: {tx.type} {tx.version}{note}: {exc}")
            continue
        try:
            done = mapping.translate_noted(tx, extra, defaults)
        except TranslationError as exc:
            result.errors.append(f"{exc.describe()} [{Path(mapping.file).name}]")
            continue
        result.documents.append((mapping.canonical, done.document))
        result.warnings.extend(f"{note.describe()} [{Path(mapping.file).name}]" for note in done.notes)
    return result
