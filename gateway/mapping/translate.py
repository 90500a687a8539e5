"""Translate a whole EDI payload: parse, pick each transaction's mapping, collect documents.

This is what ``acorn translate`` and ``acorn mappings test`` run, and what the pipeline
can call per message. Envelope defects and misfits are collected as readable lines
(``errors``), never raised: one bad transaction does not hide the good ones.
"""

from __future__ import annotations

import logging
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


def partner_overlays(partner: str | None, partners_dir: Path = Path("partners")) -> list[str]:
    """The overlay names a partner profile lists under ``mappings:`` (empty when there is none).

    Accepts ``mappings: [name, ...]`` or ``mappings: {overlays: [name, ...]}``.
    """
    if not partner:
        return []
    import yaml

    path = partners_dir / f"{partner}.yaml"
    if not path.is_file():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    listed = data.get("mappings") if isinstance(data, dict) else None
    if isinstance(listed, dict):
        listed = listed.get("overlays")
    return [str(name) for name in listed or []]


def translate_payload(
    source: Source,
    registry: MappingRegistry,
    overlays: Sequence[str] = (),
    partner: str | None = None,
) -> TranslatedFile:
    """Parse ``source`` and translate each of its transactions."""
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
            result.errors.append(f"{tx.position(0).describe()}: {tx.type} {tx.version}: {exc}")
            continue
        try:
            result.documents.append((mapping.canonical, mapping.translate(tx, extra)))
        except TranslationError as exc:
            result.errors.append(f"{exc.describe()} [{Path(mapping.file).name}]")
    return result
