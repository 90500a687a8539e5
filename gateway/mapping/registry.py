"""Pick the mapping for a transaction: by standard, version, document type, direction, partner.

The registry scans the mappings folder once for file *headers* (standard, versions,
document, direction; overlays that declare ``versions:`` count as mappings of their
own, e.g. the 5010 856 overlaying the 4010 one) and compiles a mapping only when first
asked for it, caching it per set of partner overlays. A version matches exactly, by
prefix (``004010`` matches ``004010VICS``), by a range (``004010-004060``) or a pattern
(``0040*``); :mod:`gateway.mapping.versions` ranks them and the most specific wins.

A file that fails to load is remembered with its :class:`MappingError`: asking for it
raises that error (the pipeline turns it into a failed message), while every other
mapping keeps working.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from gateway.edi.model import OutboundTransaction, Transaction
from gateway.mapping.errors import MappingError, MappingProblem, TranslationError
from gateway.mapping.loader import (
    CODES_SUBDIR,
    Mapping,
    default_root,
    load_mapping,
    load_shared_codes,
    partner_chain,
    read_mapping_head,
    resolve,
)
from gateway.mapping.versions import probes, rank

log = logging.getLogger(__name__)

_SKIP_DIRS = {CODES_SUBDIR, "tests", "overlays"}


@dataclass(frozen=True, slots=True)
class Entry:
    """What a mapping file says it handles (read from its header, not compiled)."""

    name: str
    path: Path
    standard: str
    document: str
    direction: str
    versions: tuple[str, ...]

    def rank(self, version: str) -> tuple[int, int] | None:
        """How specifically this entry serves ``version`` (see :func:`versions.rank`), or ``None``."""
        ranks = [r for spec in self.versions if (r := rank(spec, version, self.standard)) is not None]
        return max(ranks) if ranks else None

    def accepts(self, version: str) -> bool:
        return self.rank(version) is not None

    def ties(self, other: Entry) -> str | None:
        """A version both entries serve equally specifically (so neither can be picked), or ``None``."""
        kind = (self.standard, self.document, self.direction)
        if kind != (other.standard, other.document, other.direction):
            return None
        for version in probes(self.versions) + probes(other.versions):
            mine = self.rank(version)
            if mine is not None and mine == other.rank(version):
                return version
        return None


def mapping_files(root: Path) -> list[Path]:
    """Every mapping and overlay file under ``root`` (not code lists, not golden tests)."""
    return sorted(
        p for p in root.rglob("*.yaml") if not (set(p.relative_to(root).parts[:-1]) & {CODES_SUBDIR, "tests"})
    )


class MappingRegistry:
    """The mappings of one folder, compiled on demand."""

    def __init__(self, root: Path | None = None, models: dict[str, type[BaseModel]] | None = None) -> None:
        self.root = root or default_root()
        self.models = models
        self.entries: list[Entry] = []
        self.problems: list[MappingProblem] = []
        self._cache: dict[tuple[str, tuple[str, ...]], Mapping | MappingError] = {}
        self._chosen: dict[tuple[str, str, str, str, tuple[str, ...]], Mapping] = {}
        self._scan()

    def _scan(self) -> None:
        for path in mapping_files(self.root):
            if set(path.relative_to(self.root).parts[:-1]) & _SKIP_DIRS:
                continue
            try:
                head = read_mapping_head(path)
            except MappingError as exc:
                self.problems.extend(exc.problems)
                continue
            if not isinstance(head, dict):
                continue
            if "overlay" in head:
                if not head.get("versions"):
                    continue  # a partner overlay: applied on request only
                try:
                    base = read_mapping_head(self._find(str(head["overlay"])))
                except MappingError:
                    continue
                head = {**base, "versions": head["versions"]}
            try:
                self.entries.append(
                    Entry(
                        path.stem,
                        path,
                        str(head["standard"]),
                        str(head["document"]),
                        str(head["direction"]),
                        tuple(str(v) for v in head["versions"]),
                    )
                )
            except (KeyError, TypeError):
                self.problems.append(
                    MappingProblem(
                        str(path), 1, "", "a mapping needs standard, document, direction and versions"
                    )
                )
        for k, entry in enumerate(self.entries):
            for earlier in self.entries[:k]:
                tie = earlier.ties(entry)
                if tie is not None:
                    self.problems.append(
                        MappingProblem(
                            str(entry.path),
                            None,
                            "versions",
                            f"{entry.standard} {entry.document} {entry.direction} version {tie} is mapped "
                            f"as specifically by {earlier.path.name}: give one of them a narrower versions: "
                            "entry (until then a message they both fit fails, rather than take either)",
                        )
                    )

    def _find(self, name: str) -> Path:
        for path in mapping_files(self.root):
            if path.stem == name:
                return path
        raise MappingError.one(name, None, "", f"no mapping named {name!r}")

    def find(self, standard: str, version: str, document: str, direction: str = "inbound") -> Entry | None:
        """The entry for a document, or ``None`` when no mapping handles it.

        Where several files serve the version, the most specific entry wins (an exact
        version before a prefix, a range, a pattern; a narrower range before a wider one).
        Raises :class:`MappingError` when two are equally specific: which one the
        coordinator meant is theirs to say, not the file order's.
        """
        ranked = [
            (fit, entry)
            for entry in self.entries
            if entry.standard == standard
            and entry.document == document
            and entry.direction == direction
            and (fit := entry.rank(version)) is not None
        ]
        if not ranked:
            return None
        best = max(r for r, _ in ranked)
        found = [entry for r, entry in ranked if r == best]
        if len(found) > 1:
            names = " and ".join(entry.path.name for entry in found)
            raise MappingError.one(
                str(found[-1].path),
                None,
                "versions",
                f"{names} both map {standard} {document} {direction} version {version} as specifically: "
                "keep one",
            )
        return found[0]

    def get(self, name: str | Path, overlays: Sequence[str | Path] = ()) -> Mapping:
        """The compiled mapping ``name`` with overlays. Raises :class:`MappingError`."""
        key = (str(name), tuple(str(o) for o in overlays))
        cached = self._cache.get(key)
        if cached is None:
            try:
                cached = load_mapping(
                    name if isinstance(name, Path) else self._find(str(name)),
                    overlays,
                    root=self.root,
                    models=self.models,
                )
            except MappingError as exc:
                missing = self._missing_overlays(overlays)
                if missing:
                    log.warning(
                        "overlay %s not found under %s (check the mappings: list of the partner profile "
                        "that names it); mapping %s is not used with it",
                        ", ".join(repr(o) for o in missing),
                        self.root,
                        Path(name).stem,
                    )
                else:
                    log.warning("mapping %s is broken: %s", name, exc)
                cached = exc
            self._cache[key] = cached
        if isinstance(cached, MappingError):
            raise cached
        return cached

    def _missing_overlays(self, overlays: Sequence[str | Path]) -> list[str]:
        """The overlays of ``overlays`` that name no file under the mappings folder."""
        missing = []
        for overlay in overlays:
            try:
                resolve(overlay, self.root)
            except MappingError:
                missing.append(str(overlay))
        return missing

    def select(
        self,
        standard: str,
        version: str,
        document: str,
        direction: str = "inbound",
        overlays: Sequence[str | Path] = (),
    ) -> Mapping:
        """The mapping for a document. Raises :class:`MappingError` when none fits or it is broken.

        Chosen once per registry and arguments (the entries and compiled mappings of a registry
        never change; a large file asks for the same mapping for each of its transactions).
        """
        key = (standard, version, document, direction, tuple(str(o) for o in overlays))
        chosen = self._chosen.get(key)
        if chosen is None:
            chosen = self._chosen[key] = self._select(standard, version, document, direction, overlays)
        return chosen

    def _select(
        self, standard: str, version: str, document: str, direction: str, overlays: Sequence[str | Path]
    ) -> Mapping:
        entry = self.find(standard, version, document, direction)
        if entry is None:
            raise MappingError.one(
                str(self.root),
                None,
                "",
                f"no {direction} mapping for {standard} {document} version {version}",
            )
        applicable = [o for o in overlays if self._overlay_base(o) in (entry.name, None)]
        return self.get(entry.path, applicable)

    def _overlay_base(self, overlay: str | Path) -> str | None:
        """The mapping a partner overlay applies to, through the overlays it builds on."""
        try:
            path = Path(overlay) if Path(overlay).suffix == ".yaml" else self._find(str(overlay))
            base = str(partner_chain(path, self.root)[0][1]["overlay"])
            return Path(base).stem if base.endswith((".yaml", ".yml")) else base
        except MappingError:
            return None

    def translate(
        self, tx: Transaction, overlays: Sequence[str | Path] = (), extra: dict[str, Any] | None = None
    ) -> BaseModel:
        """The canonical document of ``tx``.

        Raises :class:`TranslationError` for a misfit, a missing or a broken mapping
        (never a :class:`MappingError`: a broken mapping fails the message, not the caller).
        """
        try:
            mapping = self.select(tx.standard, tx.version, tx.type, "inbound", overlays)
        except MappingError as exc:
            raise TranslationError(f"mapping problem: {exc}", tx.position(0), None, None) from None
        return mapping.translate(tx, extra)

    def render(
        self,
        doc: BaseModel,
        standard: str,
        version: str,
        document: str,
        control_number: str = "0001",
        overlays: Sequence[str | Path] = (),
    ) -> OutboundTransaction:
        """Body segments for ``doc``. Raises :class:`TranslationError` (also for mapping problems)."""
        try:
            mapping = self.select(standard, version, document, "outbound", overlays)
        except MappingError as exc:
            raise TranslationError(f"mapping problem: {exc}") from None
        return mapping.render(doc, control_number)

    def check_all(self, extra_files: Iterable[Path] = ()) -> list[MappingProblem]:
        """Load every mapping and overlay; every problem found, with file and line."""
        problems = list(self.problems)
        _, code_problems = load_shared_codes(self.root)
        problems.extend(code_problems)
        for path in [*mapping_files(self.root), *extra_files]:
            try:
                load_mapping(path, root=self.root, models=self.models)
            except MappingError as exc:
                problems.extend(p for p in exc.problems if p not in problems)
        return problems
