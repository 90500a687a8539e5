"""People: the admins' page to add users, change roles, disable, reset passwords and issue API tokens.

Every route needs the admin role; every change is CSRF-protected and written to the audit log.
A new API token is shown once, on the page that answers the POST (never in a flash message,
which would keep it in the session cookie). An admin cannot disable or demote themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlmodel import Session

from gateway.console import users
from gateway.console.audit import record
from gateway.console.auth import requires
from gateway.console.context import current_user, db

bp = Blueprint("users", __name__)

DEFAULT_TOKEN_DAYS = 90


def _page(**extra: Any) -> Any:
    return render_template(
        "users.html",
        people=users.list_users(db()),
        roles=users.ROLES,
        expired=users.token_expired,
        default_days=DEFAULT_TOKEN_DAYS,
        **extra,
    )


@bp.route("/users")
@requires("admin")
def index() -> Any:
    return _page()


def _change(action: str, username: str, change: Callable[[Session], Any], detail: dict[str, Any]) -> Any:
    """Apply ``change``, audit it as ``action`` and go back to the list (a refusal is flashed)."""
    admin = current_user()
    assert admin is not None
    session = db()
    try:
        change(session)
        record(session, admin.username, action, "user", username, detail=detail or None)
        session.commit()
    except users.UserError as exc:
        session.rollback()
        flash(str(exc), "error")
    else:
        flash(f"{username}: {action.removeprefix('user.').replace('_', ' ')} done.", "info")
    return redirect(url_for("users.index"))


def _not_self(username: str, what: str) -> None:
    admin = current_user()
    if admin is not None and admin.username == username:
        abort(400, description=f"you cannot {what} your own account")


@bp.route("/users", methods=["POST"])
@requires("admin")
def add() -> Any:
    username = request.form.get("username", "").strip()
    role = request.form.get("role", "viewer")
    password = request.form.get("password", "")
    return _change(
        "user.add", username, lambda s: users.add_user(s, username, password, role), {"role": role}
    )


@bp.route("/users/<username>/role", methods=["POST"])
@requires("admin")
def role(username: str) -> Any:
    new_role = request.form.get("role", "")
    _not_self(username, "change the role of")
    return _change("user.role", username, lambda s: users.set_role(s, username, new_role), {"role": new_role})


@bp.route("/users/<username>/<any(disable, enable):verb>", methods=["POST"])
@requires("admin")
def switch(username: str, verb: str) -> Any:
    if verb == "disable":
        _not_self(username, "disable")
    off = verb == "disable"
    return _change(f"user.{verb}", username, lambda s: users.set_disabled(s, username, off), {})


@bp.route("/users/<username>/password", methods=["POST"])
@requires("admin")
def password(username: str) -> Any:
    new = request.form.get("password", "")
    return _change("user.password_reset", username, lambda s: users.set_password(s, username, new), {})


@bp.route("/users/<username>/token", methods=["POST"])
@requires("admin")
def token(username: str) -> Any:
    admin = current_user()
    assert admin is not None
    days_text = request.form.get("days", "").strip()
    days = int(days_text) if days_text.isdigit() else DEFAULT_TOKEN_DAYS
    session = db()
    try:
        issued = users.issue_token(session, username, days)
        record(session, admin.username, "user.token", "user", username, detail={"expires_in_days": days})
        session.commit()
    except users.UserError as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("users.index"))
    return _page(issued={"username": username, "token": issued, "days": days})


@bp.route("/users/<username>/token/revoke", methods=["POST"])
@requires("admin")
def revoke(username: str) -> Any:
    return _change("user.token_revoke", username, lambda s: users.revoke_token(s, username), {})
