"""Per-request access to the runtime, a database session and the logged-in user.

The app factory stores the :class:`~gateway.service.runtime.Runtime` in ``app.extensions``; a
view asks :func:`runtime` for it and :func:`db` for a session that lives for the request
and is closed when it ends (reads never commit; actions commit explicitly).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import abort, current_app, g, request
from sqlmodel import Session

if TYPE_CHECKING:
    from gateway.service.runtime import Runtime
    from gateway.store.models import User

RUNTIME_KEY = "acorn.runtime"


def runtime() -> Runtime:
    return current_app.extensions[RUNTIME_KEY]


def db() -> Session:
    """This request's database session (opened on first use)."""
    if "db" not in g:
        g.db = Session(runtime().engine, expire_on_commit=False)
    return g.db


def close_db(_exc: BaseException | None = None) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()


def current_user() -> User | None:
    """The user of this request (session cookie or API token), or ``None``."""
    return g.get("user")


def int_arg(name: str) -> int | None:
    """The query argument ``name`` as a whole number, ``None`` when absent; 400 when not a number."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit():
        abort(400, description=f"{name} must be a number")
    return int(value)
