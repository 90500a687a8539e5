"""The console's app factory: configuration, security settings, blueprints, error pages.

All defaults sit in :data:`DEFAULTS`; ``create_app(runtime, config)`` lets a test override
any of them. The session secret comes from the settings (``ACORN_CONSOLE_SECRET`` or
``console.secret_file``); without one a random secret is made for this process and a
warning is logged (sessions then end when the console restarts). The secret itself is
never logged nor shown.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect  # type: ignore[import-untyped]
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Map
from werkzeug.wrappers import Response

from gateway.console import api, api_settlement, auth, formatting, health, limits
from gateway.console.context import RUNTIME_KEY, close_db, current_user
from gateway.console.jobs import JobTable
from gateway.console.views import audit, bulk, dashboard, documents, messages, money, partners, users
from gateway.console.views import claims as claims_views
from gateway.console.views import export as export_views
from gateway.console.views import inventory as inventory_views
from gateway.console.views import resolve as resolve_views
from gateway.console.views.business import bp as business_bp
from gateway.service.as2_inbound import make_blueprint as as2_blueprint

if TYPE_CHECKING:
    from gateway.service.runtime import Runtime

log = logging.getLogger(__name__)

JOBS_KEY = "acorn.jobs"

DEFAULTS: dict[str, Any] = {
    "SESSION_COOKIE_NAME": "acorn_session",
    "SESSION_COOKIE_HTTPONLY": True,
    "WTF_CSRF_TIME_LIMIT": None,  # a token lives as long as the session
    "WTF_CSRF_SSL_STRICT": True,
    "MAX_CONTENT_LENGTH": 1 << 20,
    "ACORN_BULK_BATCH_SIZE": 25,
}

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}

csrf = CSRFProtect()


def _secret(runtime: Runtime) -> str:
    configured = runtime.settings.console.secret
    if configured is not None and configured.get_secret_value():
        return configured.get_secret_value()
    log.warning(
        "no console session key is configured (ACORN_CONSOLE_SECRET or console.secret_file): "
        "using a random one; console sessions end when it restarts"
    )
    return secrets.token_hex(32)


def _from_settings(runtime: Runtime) -> dict[str, Any]:
    """The Flask settings that ``config.yaml``'s ``console:`` section decides."""
    console = runtime.settings.console
    return {
        "SESSION_COOKIE_SECURE": console.session_cookie_secure,
        "SESSION_COOKIE_SAMESITE": console.session_cookie_samesite,
        "PERMANENT_SESSION_LIFETIME": timedelta(minutes=console.session_lifetime_minutes),
        limits.PER_USER_KEY: console.login_limit_per_user,
        limits.PER_ADDRESS_KEY: console.login_limit_per_address,
    }


class RowId(IntegerConverter):
    """``<int:...>`` that stops at the largest database id (a bigger number is a 404, not an
    overflow in the driver)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)


def create_app(runtime: Runtime, config: Mapping[str, Any] | None = None) -> Flask:
    """The console for ``runtime``; ``config`` overrides :data:`DEFAULTS`, the settings and the
    secret (tests)."""
    app = Flask(__name__)
    app.url_map.converters["int"] = RowId  # before any route: every <int:...> is a row id
    app.config.update(DEFAULTS)
    app.config.update(_from_settings(runtime))
    app.json.sort_keys = False  # type: ignore[attr-defined]
    if config is None or "SECRET_KEY" not in config:
        app.config["SECRET_KEY"] = _secret(runtime)
    if config:
        app.config.update(config)
    app.extensions[RUNTIME_KEY] = runtime
    app.extensions[JOBS_KEY] = JobTable(runtime, batch_size=int(app.config["ACORN_BULK_BATCH_SIZE"]))
    csrf.init_app(app)
    formatting.init_app(app)

    app.before_request(auth.load_user)
    app.teardown_appcontext(close_db)
    for blueprint in (
        auth.bp,
        dashboard.bp,
        messages.bp,
        documents.bp,
        money.bp,
        inventory_views.bp,
        partners.bp,
        audit.bp,
        bulk.bp,
        users.bp,
        resolve_views.bp,
        export_views.bp,
        health.bp,
        api.bp,
        claims_views.bp,
        api_settlement.bp,
        business_bp,
    ):
        app.register_blueprint(blueprint)
    limits.init_app(app, "auth.login")
    as2 = as2_blueprint(runtime)  # partners POST AS2 messages (and async MDNs) here: signed, not a form
    app.register_blueprint(as2)
    csrf.exempt(as2)
    csrf.exempt(api.bp)  # token-authenticated: a browser never sends the token by itself
    csrf.exempt(api_settlement.bp)
    csrf.exempt(health.bp)  # GET only

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError) -> Any:
        log.info("CSRF refusal on %s %s: %s", request.method, request.path, exc.description)
        return _error_page(
            400, "The form was refused: " + str(exc.description) + " Reload the page and try again."
        )

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        if exc.code is not None and exc.code < 400:  # routing redirects
            return exc
        return _error_page(exc.code or 500, exc.description or exc.name)

    @app.errorhandler(Exception)
    def _crash(exc: Exception) -> Any:
        log.exception("console error on %s %s", request.method, request.path)
        return _error_page(500, "Something went wrong; the details are in the gateway's log.")

    return app


def _error_page(code: int, message: str) -> Any:
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        response = jsonify({"error": message})
        response.status_code = code
        return response
    return render_template("error.html", code=code, message=message, user=current_user()), code
