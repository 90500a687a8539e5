"""Writing the audit log: one :class:`~gateway.store.models.AuditEntry` per console action."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from gateway.store.models import AuditEntry


def record(
    session: Session,
    actor: str,
    action: str,
    target_type: str | None = None,
    target_id: str | int | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry to ``session`` (the caller commits)."""
    entry = AuditEntry(
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        reason=reason or None,
        detail=detail,
    )
    session.add(entry)
    session.flush()
    return entry
