"""Login rate limits (Flask-Limiter): failed logins per user and per address, then a lockout.

Only failed attempts count (a 401 answer). Once a user name or an address has used up its
allowance (``console.login_limit_per_user`` / ``console.login_limit_per_address``, e.g.
``5 per 15 minutes``), every login for it is refused with a clear message until the window
has passed, the right password included. Counters live in memory (one console process); the
per-user key is a hash of the lower-cased name, so no typed name is kept verbatim.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, render_template, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

log = logging.getLogger(__name__)

PER_USER_KEY = "ACORN_LOGIN_LIMIT_PER_USER"
PER_ADDRESS_KEY = "ACORN_LOGIN_LIMIT_PER_ADDRESS"


def name_key(username: str) -> str:
    """A stable stand-in for a typed user name (never the name itself)."""
    return hashlib.sha256(username.strip().lower().encode("utf-8")).hexdigest()[:16]


def _user_key() -> str:
    return "login-user:" + name_key(request.form.get("username", ""))


def _address_key() -> str:
    return "login-address:" + get_remote_address()


def _failed(response: Any) -> bool:
    return bool(response.status_code == 401)


def _configured(key: str) -> Callable[[], str]:
    """The limit named by the app setting ``key``, read when a request is checked."""
    return lambda: str(current_app.config[key])


def init_app(app: Flask, endpoint: str) -> Limiter:
    """Attach a limiter to ``app`` that guards the registered view ``endpoint`` (POST only)."""
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=app.config.get("RATELIMIT_STORAGE_URI", "memory://"),
        default_limits=[],
        strategy="moving-window",  # N failures in any window, not per clock slot
        headers_enabled=False,
    )
    view: Any = app.view_functions[endpoint]
    for key, key_func in ((PER_USER_KEY, _user_key), (PER_ADDRESS_KEY, _address_key)):
        view = limiter.limit(
            _configured(key),
            key_func=key_func,
            methods=["POST"],
            deduct_when=_failed,
        )(view)
    app.view_functions[endpoint] = view

    @app.errorhandler(RateLimitExceeded)
    def _locked(exc: RateLimitExceeded) -> Any:
        log.warning(
            "console login locked out (%s) for user #%s from %s",
            exc.limit.limit,
            name_key(request.form.get("username", "")),
            request.remote_addr,
        )
        message = (
            "Too many failed logins for this user or from this address "
            f"(at most {exc.limit.limit}). Wait and try again later."
        )
        return render_template("login.html", next=request.form.get("next", ""), lockout=message), 429

    return limiter
