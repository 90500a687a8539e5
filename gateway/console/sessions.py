"""Console logins held on the server, so that logging out really ends them.

The signed session cookie carries only a random id; the database keeps its SHA-256 in
``console_sessions`` with the user, the expiry and, once it ends, ``revoked_at``. Logout
revokes the login, a password change or disabling the user revokes all of theirs: a cookie
copied before then is refused afterwards, although its signature is still good.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from gateway.store.models import ConsoleSession, User, utcnow


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def start(session: Session, user: User, lifetime: timedelta) -> str:
    """A new login for ``user``; returns the token for the cookie (the caller commits)."""
    assert user.id is not None
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(ConsoleSession(id=_digest(token), user_id=user.id, created_at=now, expires_at=now + lifetime))
    return token


def user_of(session: Session, token: str) -> User | None:
    """The enabled user of a live (not revoked, not expired) login, else ``None``."""
    row = session.get(ConsoleSession, _digest(token))
    if row is None or row.revoked_at is not None or _aware(row.expires_at) <= utcnow():
        return None
    user = session.get(User, row.user_id)
    return None if user is None or user.disabled else user


def end(session: Session, token: str) -> None:
    """Revoke one login (logout); the caller commits."""
    row = session.get(ConsoleSession, _digest(token))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)


def end_all(session: Session, user: User) -> int:
    """Revoke every live login of ``user`` (password change, disabled); returns how many."""
    rows = session.exec(
        select(ConsoleSession).where(
            col(ConsoleSession.user_id) == user.id, col(ConsoleSession.revoked_at).is_(None)
        )
    ).all()
    now = utcnow()
    for row in rows:
        row.revoked_at = now
        session.add(row)
    return len(rows)
