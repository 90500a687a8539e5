"""Login, logout and access control: who is asking, and may they.

Default deny: :func:`load_user` runs before every request and sends anonymous visitors to
the login page, except for the few public endpoints (login, ``/healthz``, static files).
Pages know their user from the session cookie (HttpOnly, SameSite=Lax, signed); the JSON
API and ``/metrics`` also accept ``Authorization: Bearer <token>``. A state-changing API
call must use a token (a cookie alone is never enough without the page's CSRF token).
Views that change anything are wrapped in :func:`requires` with the role they need.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from gateway.console import sessions, users
from gateway.console.audit import record
from gateway.console.context import current_user, db
from gateway.console.limits import name_key
from gateway.store.models import User

UNKNOWN_ACTOR = "(unknown user)"

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)

PUBLIC_ENDPOINTS = {"auth.login", "health.healthz", "static", "as2.receive"}  # AS2 authenticates by signature
TOKEN_PREFIXES = ("/api/", "/metrics")
F = TypeVar("F", bound=Callable[..., Any])


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def _session_user() -> User | None:
    token = session.get("sid")
    if not isinstance(token, str):
        return None
    user = sessions.user_of(db(), token)
    if user is None:  # logged out, expired, password changed or user disabled
        session.clear()
    return user


def load_user() -> Response | None:
    """Find the request's user; refuse anonymous visitors everywhere but the public endpoints."""
    g.user = None
    g.via_token = False
    token = _bearer_token() if request.path.startswith(TOKEN_PREFIXES) else None
    if token is not None:
        g.user = users.user_for_token(db(), token)
        g.via_token = g.user is not None
        if g.user is None:
            return _unauthorized("invalid or revoked API token")
    else:
        g.user = _session_user()
    if g.user is not None or request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if request.path.startswith(TOKEN_PREFIXES):
        return _unauthorized("authentication required: send Authorization: Bearer <token>")
    return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))


def _unauthorized(message: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="acorn"'
    return response


def requires(role: str) -> Callable[[F], F]:
    """Only users with at least ``role`` may call the view (403 otherwise)."""

    def wrap(view: F) -> F:
        @functools.wraps(view)
        def inner(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                abort(401)
            if not users.role_allows(user.role, role):
                abort(403, description=f"this needs the {role} role; you are {user.role}")
            if request.method == "POST" and request.path.startswith("/api/") and not g.get("via_token"):
                abort(403, description="state-changing API calls need an API token")
            return view(*args, **kwargs)

        inner.required_role = role  # type: ignore[attr-defined]
        return inner  # type: ignore[return-value]

    return wrap


def _safe_next(target: str | None) -> str:
    """Only local paths are followed after login (no open redirects)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        if current_user() is not None:
            return redirect(_safe_next(request.args.get("next")))
        return render_template("login.html", next=request.args.get("next", ""))
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    session_db = db()
    user = users.authenticate(session_db, username, password)
    if user is None:
        _record_failure(username)
        flash("Unknown user or wrong password.", "error")
        return render_template("login.html", next=request.form.get("next", "")), 401
    users.record_login(session_db, user)
    record(session_db, user.username, "login", "user", user.username)
    token = sessions.start(session_db, user, current_app.permanent_session_lifetime)
    session_db.commit()
    session.clear()
    session["sid"] = token
    session.permanent = True
    log.info("console login: %s", user.username)
    return redirect(_safe_next(request.form.get("next")))


def _record_failure(username: str) -> None:
    """Audit and log a failed login. A name that is no user is never written down (it may be a
    password typed in the wrong field): only a short hash of it, to tell repeated tries apart."""
    session_db = db()
    known = users.exists(session_db, username)
    actor, target = (username, username) if known else (UNKNOWN_ACTOR, None)
    record(session_db, actor, "login.failed", "user", target)
    who = username if known else f"an unknown user name (#{name_key(username)})"
    session_db.commit()
    log.info("console login failed for %s from %s", who, request.remote_addr)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    user = current_user()
    token = session.get("sid")
    if user is not None:
        record(db(), user.username, "logout", "user", user.username)
    if isinstance(token, str):
        sessions.end(db(), token)  # a copy of the cookie is refused from now on
    db().commit()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
