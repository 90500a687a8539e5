"""Console users: password hashes, roles and API tokens (used by the console and ``acorn users``).

Passwords are hashed with :mod:`werkzeug.security` (scrypt); only the hash is stored.
API tokens are random strings shown once when issued; the database keeps their SHA-256,
so a token can be checked with one indexed lookup but never read back.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import UTC, timedelta

from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from gateway.console import sessions
from gateway.store.models import User, utcnow

ROLES: tuple[str, ...] = ("viewer", "operator", "admin", "finance")
#: the ladder of the first three roles; ``finance`` reads like a viewer and may change claims (issue 18)
LADDER: tuple[str, ...] = ("viewer", "operator", "admin")
FINANCE: frozenset[str] = frozenset({"finance", "admin"})
MIN_PASSWORD_LENGTH = 8
TOKEN_PREFIX = "acorn_"
MAX_TOKEN_DAYS = 365


@functools.cache
def _dummy_hash() -> str:
    """A valid hash to check against when the user does not exist, so timing does not tell."""
    return generate_password_hash(secrets.token_hex(8))


class UserError(ValueError):
    """A user operation that cannot be done (unknown user, bad role, weak password)."""


def role_allows(role: str, needed: str) -> bool:
    """True when ``role`` is at least ``needed`` (viewer < operator < admin; finance or admin for finance)."""
    if needed == "finance":
        return role in FINANCE
    rank = "viewer" if role == "finance" else role
    if rank not in LADDER or needed not in LADDER:
        return False
    return LADDER.index(rank) >= LADDER.index(needed)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")


def get_user(session: Session, username: str) -> User:
    """The user called ``username``. Raises :class:`UserError` when there is none."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise UserError(f"no user {username!r}")
    return user


def add_user(session: Session, username: str, password: str, role: str = "viewer") -> User:
    """Create a user; the caller commits. Raises :class:`UserError` (exists, bad role, weak password)."""
    username = username.strip()
    if not username or len(username) > 64:
        raise UserError("a username needs 1 to 64 characters")
    _check_role(role)
    _check_password(password)
    if session.exec(select(User).where(User.username == username)).first() is not None:
        raise UserError(f"user {username!r} already exists")
    user = User(username=username, password_hash=generate_password_hash(password), role=role)
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, username: str, password: str) -> User:
    """Change a password (ends the user's console sessions). Raises :class:`UserError`."""
    _check_password(password)
    user = get_user(session, username)
    user.password_hash = generate_password_hash(password)
    session.add(user)
    sessions.end_all(session, user)
    return user


def set_role(session: Session, username: str, role: str) -> User:
    """Change a user's role. Raises :class:`UserError`."""
    _check_role(role)
    user = get_user(session, username)
    user.role = role
    session.add(user)
    return user


def set_disabled(session: Session, username: str, disabled: bool) -> User:
    """Disable (or enable again) a user: a disabled user can neither log in nor use a token."""
    user = get_user(session, username)
    user.disabled = disabled
    session.add(user)
    if disabled:
        sessions.end_all(session, user)
    return user


def list_users(session: Session) -> Sequence[User]:
    return session.exec(select(User).order_by(User.username)).all()


def exists(session: Session, username: str) -> bool:
    return session.exec(select(User.id).where(User.username == username)).first() is not None


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The enabled user with this name and password, else ``None`` (same work either way)."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(user.password_hash, password) or user.disabled:
        return None
    return user


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, username: str, expires_in_days: int | None = None) -> str:
    """A new API token for ``username`` (replacing any earlier one); returned once, stored hashed.

    With ``expires_in_days`` the token stops working after that many days. Raises :class:`UserError`."""
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_TOKEN_DAYS:
        raise UserError(f"a token lives 1 to {MAX_TOKEN_DAYS} days")
    user = get_user(session, username)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    user.api_token_hash = hash_token(token)
    user.api_token_expires_at = utcnow() + timedelta(days=expires_in_days) if expires_in_days else None
    session.add(user)
    return token


def revoke_token(session: Session, username: str) -> None:
    user = get_user(session, username)
    user.api_token_hash = None
    user.api_token_expires_at = None
    session.add(user)


def token_expired(user: User) -> bool:
    expires = user.api_token_expires_at
    if expires is None:
        return False
    return (expires if expires.tzinfo else expires.replace(tzinfo=UTC)) <= utcnow()


def user_for_token(session: Session, token: str) -> User | None:
    """The enabled user holding ``token``, else ``None``."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    digest = hash_token(token)
    user = session.exec(select(User).where(User.api_token_hash == digest)).first()
    if user is None or user.disabled or not hmac.compare_digest(user.api_token_hash or "", digest):
        return None
    return None if token_expired(user) else user


def record_login(session: Session, user: User) -> None:
    user.last_login_at = utcnow()
    session.add(user)
