"""Load every partner profile and answer "which partner is this?".

:func:`load_partners` reads ``partners/*.yaml`` (sorted, so errors come in a stable
order), validates each, checks that a file is named after its partner and that no two
partners claim the same envelope identity, and collects *every* problem of every file
before raising one :class:`ConfigError`.

:class:`PartnerDirectory` answers the pipeline's lookups: by name, and by the sender of
an envelope (X12 ISA qualifier + id, EDIFACT UNB id + qualifier). X12 ids are compared
without their padding spaces and case-insensitively; an EDIFACT profile without a
qualifier matches the id under any qualifier.

Relative paths in profiles (local mailbox folders, keys, certificates, known_hosts) are
resolved against ``base_dir``, by default the folder that holds ``partners/``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from gateway.common.yamlfile import MarkedDict
from gateway.config.errors import ConfigError, ConfigProblem
from gateway.config.partners import EdifactIdentity, PartnerProfile, X12Identity
from gateway.config.source import read_yaml, validate

log = logging.getLogger(__name__)


def _norm(value: str | None) -> str:
    return (value or "").strip().upper()


class PartnerDirectory:
    """The loaded partner profiles, with lookups by name and by envelope identity."""

    def __init__(self, profiles: list[PartnerProfile], files: dict[str, Path] | None = None) -> None:
        self._by_name = {p.name: p for p in profiles}
        self.files = dict(files or {})
        self._x12: dict[tuple[str, str], PartnerProfile] = {}
        self._edifact: dict[str, list[tuple[EdifactIdentity, PartnerProfile]]] = {}
        for profile in profiles:
            x12, edifact = profile.identities.x12, profile.identities.edifact
            if x12 is not None:
                self._x12[(_norm(x12.isa_qualifier), _norm(x12.isa_id))] = profile
            if edifact is not None:
                self._edifact.setdefault(_norm(edifact.id), []).append((edifact, profile))

    def __len__(self) -> int:
        return len(self._by_name)

    def __iter__(self) -> Iterator[PartnerProfile]:
        return iter(self._by_name.values())

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def names(self) -> list[str]:
        return sorted(self._by_name)

    def get(self, name: str) -> PartnerProfile:
        """The profile called ``name``. Raises :class:`KeyError` naming the known partners."""
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"unknown partner {name!r} (known: {', '.join(self.names()) or 'none'})") from None

    def maybe_by_x12(self, qualifier: str, isa_id: str) -> PartnerProfile | None:
        """The partner whose X12 identity is ``qualifier`` + ``isa_id`` (padding ignored)."""
        return self._x12.get((_norm(qualifier), _norm(isa_id)))

    def maybe_by_edifact(self, unb_id: str, qualifier: str | None = None) -> PartnerProfile | None:
        """The partner whose EDIFACT identity is ``unb_id`` (and ``qualifier`` when both sides give one)."""
        for identity, profile in self._edifact.get(_norm(unb_id), []):
            if not identity.qualifier or not qualifier or _norm(identity.qualifier) == _norm(qualifier):
                return profile
        return None

    def maybe_by_sender(self, standard: str, qualifier: str | None, sender_id: str) -> PartnerProfile | None:
        """The partner who sent an envelope of ``standard`` (``x12`` or ``edifact``) from this identity."""
        if standard.lower() == "x12":
            return self.maybe_by_x12(qualifier or "", sender_id)
        return self.maybe_by_edifact(sender_id, qualifier)


def _identity_keys(profile: PartnerProfile) -> list[tuple[str, str]]:
    keys = []
    x12: X12Identity | None = profile.identities.x12
    if x12 is not None:
        keys.append(("x12", f"{_norm(x12.isa_qualifier)}:{_norm(x12.isa_id)}"))
    if profile.identities.edifact is not None:
        keys.append(("edifact", _norm(profile.identities.edifact.id)))
    return keys


def _resolve_paths(model: BaseModel, base: Path) -> Any:
    update: dict[str, Any] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, Path) and not value.is_absolute():
            update[name] = base / value
        elif isinstance(value, BaseModel):
            update[name] = _resolve_paths(value, base)
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            update[name] = [_resolve_paths(v, base) for v in value]
    return model.model_copy(update=update) if update else model


def load_partners(directory: Path, base_dir: Path | None = None) -> PartnerDirectory:
    """Read and validate every ``*.yaml`` profile in ``directory``.

    A missing folder gives an empty directory (logged). Raises :class:`ConfigError` with
    every problem of every file (``FILE:LINE: key: problem``).
    """
    base = base_dir if base_dir is not None else directory.parent
    if not directory.is_dir():
        log.warning("no partners folder at %s: no partner is known", directory)
        return PartnerDirectory([])
    problems: list[ConfigProblem] = []
    profiles: list[PartnerProfile] = []
    files: dict[str, Path] = {}
    claimed: dict[tuple[str, str], str] = {}
    for path in sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml")):
        try:
            tree = read_yaml(path)
            profile = validate(PartnerProfile, tree, str(path))
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        line = tree.key_lines.get("name") if isinstance(tree, MarkedDict) else None
        if profile.name != path.stem:
            problems.append(
                ConfigProblem(
                    str(path), line, "name", f"{profile.name!r} must match the file name {path.stem!r}"
                )
            )
            continue
        for key in _identity_keys(profile):
            if key in claimed:
                problems.append(
                    ConfigProblem(
                        str(path),
                        line,
                        "identities",
                        f"{key[0]} identity {key[1]} is already {claimed[key]}'s",
                    )
                )
            claimed[key] = profile.name
        profiles.append(_resolve_paths(profile, base))
        files[profile.name] = path
    problems += _erp_channel_problems(profiles, files)
    if problems:
        raise ConfigError(problems)
    return PartnerDirectory(profiles, files)


def _erp_channel_problems(profiles: list[PartnerProfile], files: dict[str, Path]) -> list[ConfigProblem]:
    """An ``settlement.erp`` of type sftp must name an SFTP mailbox of a known profile."""
    by_name = {p.name: p for p in profiles}
    problems = []
    for profile in profiles:
        channel = profile.settlement.erp
        if channel is None or channel.type != "sftp":
            continue
        owner = by_name.get(channel.partner)
        boxes = {b.name: b.type for b in owner.mailboxes} if owner else {}
        if boxes.get(channel.mailbox) != "sftp":
            where = f"profile {channel.partner!r}" if owner else f"no profile {channel.partner!r}"
            problems.append(
                ConfigProblem(
                    str(files[profile.name]),
                    None,
                    "settlement.erp",
                    f"names mailbox {channel.mailbox!r} of {where}: it must be an SFTP mailbox there",
                )
            )
    return problems
