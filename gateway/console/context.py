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


#: the largest id or count a query argument may name: a database's signed 64-bit integer
MAX_WHOLE = 2**63 - 1


def whole_number(text: str) -> int | None:
    """``text`` as a whole number from 0 to :data:`MAX_WHOLE`, ``None`` when it is not one (ASCII
    digits only: ``str.isdigit`` also takes ``²``, which ``int`` refuses; a larger number would
    overflow the database's integer, not just find nothing)."""
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= MAX_WHOLE else None


def int_arg(name: str) -> int | None:
    """The query argument ``name`` as a whole number, ``None`` when absent; 400 when not a number."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    number = whole_number(value)
    if number is None:
        abort(400, description=f"{name} must be a whole number from 0 to {MAX_WHOLE}")
    return number
