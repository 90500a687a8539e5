"""Template helpers: dates, numbers, JSON, state colours and what the current user may do."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from flask import Flask

from gateway.console import users
from gateway.console.context import current_user

STATE_CLASS = {
    "done": "ok",
    "acknowledged": "ok",
    "sent": "ok",
    "accepted": "ok",
    "resolved": "ok",
    "failed": "bad",
    "rejected": "bad",
    "blocked": "bad",
    "open": "bad",
    "disputed": "warn",
    "duplicate": "warn",
    "suspect_duplicate": "bad",
    "ignored": "warn",
    "queued": "info",
    "sending": "info",
    "received": "info",
    "parsed": "info",
    "translated": "info",
    "acknowledged_discrepancy": "info",
}


def fmt_dt(value: datetime | None) -> str:
    """``2026-01-12 08:15:03 UTC`` (naive values are UTC, as SQLite returns them)."""
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def fmt_ago(value: datetime | None, now: datetime | None = None) -> str:
    if value is None:
        return "never"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    seconds = int(((now or datetime.now(UTC)) - value).total_seconds())
    future = seconds < 0
    seconds = abs(seconds)
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            text = f"{seconds // size} {unit}"
            break
    else:
        text = f"{seconds} s"
    return f"in {text}" if future else f"{text} ago"


def fmt_number(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def fmt_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=False, ensure_ascii=False, default=_default)


def _plain(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items()) or "—"
    return str(value)


def detail_items(detail: Any) -> list[tuple[str, str]]:
    """An audit entry's detail as (label, text) pairs for a definition list: no JSON quoting.

    The template escapes the text as usual; nothing here is marked safe."""
    if not isinstance(detail, dict):
        return [] if detail is None else [("detail", _plain(detail))]
    return [(str(key).replace("_", " "), _plain(value)) for key, value in detail.items()]


def fmt_cell(value: Any) -> str:
    """A value in a chart's table: days as ISO dates, money with two decimals, counts with separators."""
    if isinstance(value, date):
        return value.isoformat()
    return fmt_number(value)


def can(role: str) -> bool:
    user = current_user()
    return user is not None and users.role_allows(user.role, role)


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        dt=fmt_dt, ago=fmt_ago, num=fmt_number, pretty=fmt_json, detail_items=detail_items
    )
    app.jinja_env.filters["cell"] = fmt_cell
    app.jinja_env.globals.update(can=can, state_class=lambda s: STATE_CLASS.get(s or "", ""))

    @app.context_processor
    def _user() -> dict[str, Any]:
        return {"user": current_user()}
