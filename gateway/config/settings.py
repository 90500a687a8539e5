"""The gateway's settings (``config.yaml``), with defaults and ``ACORN_...`` overrides.

Strategy: one typed :class:`Settings` object is built at start-up and passed down; no
module reads the environment or the file on its own.

1. Defaults live in the models below (one place).
2. ``config.yaml`` (or the file named by ``--config`` / ``ACORN_CONFIG``) is read with
   line information; a missing file means "all defaults".
3. Environment variables override the file. The rule: ``ACORN_`` + the setting's path in
   upper case, with ``__`` between nesting levels, e.g. ``ACORN_DATABASE_URL``,
   ``ACORN_ARCHIVE_RETENTION_DAYS``, ``ACORN_SCHEDULER__POLL_INTERVAL_SECONDS``,
   ``ACORN_CONSOLE__PORT``, ``ACORN_ALERTS__EMAIL__TO`` (a list: comma-separated).
   ``ACORN_...`` variables that name no setting are ignored (``ACORN_CONFIG`` and friends).
4. The console secret is never written in ``config.yaml``: it comes from
   ``ACORN_CONSOLE_SECRET`` or from the file named by ``console.secret_file``, and is kept
   as a :class:`pydantic.SecretStr` (``**********`` in every repr, str and log line).

Relative paths (archive, partners, mappings, secret file, a SQLite database file) are
resolved against the folder of the configuration file, so the gateway behaves the same
whatever the working directory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from gateway.common.yamlfile import MarkedDict, marked
from gateway.config.errors import ConfigError, ConfigProblem
from gateway.config.source import dotted, read_yaml, validate

ENV_PREFIX = "ACORN_"
SECRET_ENV = "ACORN_CONSOLE_SECRET"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConsoleSettings(_Section):
    """The Flask console: where it listens and the secret that signs its sessions."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    secret_file: Path | None = None
    secret: SecretStr | None = Field(default=None, exclude=True)
    session_cookie_secure: bool = False  # True when the console is served over HTTPS
    session_cookie_samesite: Literal["Strict", "Lax"] = "Lax"
    session_lifetime_minutes: int = Field(default=720, ge=1)
    login_limit_per_user: str = "5 per 15 minutes"  # failed logins, Flask-Limiter notation
    login_limit_per_address: str = "20 per 15 minutes"


class SchedulerSettings(_Section):
    """How often mailboxes are polled and the outbox drained; how far a failing mailbox backs off."""

    poll_interval_seconds: float = Field(default=30.0, gt=0)
    outbox_interval_seconds: float = Field(default=15.0, gt=0)
    backoff_initial_seconds: float = Field(default=5.0, gt=0)
    backoff_max_seconds: float = Field(default=900.0, gt=0)
    workers: int = Field(default=1, ge=1)


class LoggingSettings(_Section):
    """Log level and line format (``text`` for people, ``json`` for log collectors)."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    format: Literal["text", "json"] = "text"


class EmailAlerts(_Section):
    """Where alert e-mails go and through which SMTP server."""

    to: list[str] = Field(min_length=1)
    sender: str = "acorn@localhost"
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=25, ge=1, le=65535)


class AlertSettings(_Section):
    """Alerts (aging, rejections, mailbox failures) besides the log: a webhook and/or e-mail."""

    webhook_url: str | None = None
    email: EmailAlerts | None = None


class Settings(_Section):
    """Everything ``config.yaml`` can say. Build it with :func:`load_settings`."""

    database_url: str = "sqlite:///acorn.sqlite3"
    archive_dir: Path = Path("archive")
    # folder: payloads under archive_dir; database: in the database (several hosts), archive_dir a cache
    archive_backend: Literal["folder", "database"] = "folder"
    archive_retention_days: int | None = Field(default=None, ge=1)
    partners_dir: Path = Path("partners")
    mappings_dir: Path = Path("mappings")
    console: ConsoleSettings = ConsoleSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    logging: LoggingSettings = LoggingSettings()
    alerts: AlertSettings = AlertSettings()

    def describe(self) -> dict[str, Any]:
        """The settings as plain data for display: secrets are never included."""
        data = self.model_dump(mode="json")
        data["console"]["secret"] = "(set)" if self.console.secret is not None else "(not set)"
        return data


def env_overrides(env: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The nested overrides named by ``ACORN_...`` variables, and the variable behind each dotted key."""
    overrides: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for name, value in sorted(env.items()):
        if not name.startswith(ENV_PREFIX) or name == SECRET_ENV:
            continue
        path = [part.lower() for part in name[len(ENV_PREFIX) :].split("__")]
        if not _is_setting(path):
            continue
        node = overrides
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = _env_value(path, value)
        origin[".".join(path)] = name
    return overrides, origin


def _is_setting(path: list[str]) -> bool:
    model: Any = Settings
    for part in path:
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or part not in model.model_fields:
            return False
        if part == "secret":
            return False
        annotation = model.model_fields[part].annotation
        model = next((a for a in getattr(annotation, "__args__", (annotation,)) if a is not type(None)), None)
    return True


def _env_value(path: list[str], value: str) -> Any:
    if path[-1] == "to":  # the only list setting
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    merged = marked(dict(base), getattr(base, "file", ""), getattr(base, "line", None))
    if isinstance(base, MarkedDict):
        merged.key_lines = dict(base.key_lines)
    for key, value in top.items():
        old = merged.get(key)
        merged[key] = _merge(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
    return merged


def load_settings(path: Path | None, env: Mapping[str, str] | None = None) -> Settings:
    """Read ``path`` (defaults when ``None`` or missing), apply ``ACORN_...`` overrides, resolve secrets.

    Raises :class:`ConfigError` listing every problem as ``FILE:LINE: key: problem``
    (``environment: ACORN_X: problem`` for a bad override).
    """
    env = os.environ if env is None else env
    file = str(path) if path is not None else "config.yaml"
    tree: Any = {}
    if path is not None and path.is_file():
        tree = read_yaml(path) or {}
    base_dir = path.parent if path is not None else Path.cwd()
    validate(Settings, tree, file)  # file errors first, each with its own line
    overrides, origin = env_overrides(env)
    try:
        settings = Settings.model_validate(_merge(tree, overrides))
    except ValidationError as exc:
        raise ConfigError(
            [
                ConfigProblem(
                    "environment",
                    None,
                    origin.get(".".join(map(str, e["loc"])), dotted(e["loc"])),
                    str(e["msg"]).removeprefix("Value error, "),
                )
                for e in exc.errors()
            ]
        ) from None
    if settings.archive_backend == "database" and settings.database_url.startswith("sqlite"):
        # the pipeline writes the payload while its own transaction holds SQLite's one write lock:
        # every store would wait out the busy timeout. Several hosts share PostgreSQL, not a file.
        why = "database needs a PostgreSQL database_url (SQLite is one host: use folder)"
        if "archive_backend" in origin:
            raise ConfigError.one("environment", None, origin["archive_backend"], why)
        raise ConfigError.one(
            file, getattr(tree, "key_lines", {}).get("archive_backend"), "archive_backend", why
        )
    return _resolve(settings, base_dir, env, file)


def _rebase_sqlite(url: str, base: Path) -> str:
    """``sqlite:///relative.db`` -> ``sqlite:////base/relative.db``; other URLs unchanged."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return url
    rest = url[len(prefix) :]
    if not rest or rest.startswith(("/", ":memory:", "file:")):
        return url
    return prefix + str(base.resolve() / rest)


def _resolve(settings: Settings, base: Path, env: Mapping[str, str], file: str) -> Settings:
    def rel(p: Path) -> Path:
        return p if p.is_absolute() else base / p

    console = settings.console
    secret_file = rel(console.secret_file) if console.secret_file else None
    secret: str | None = env.get(SECRET_ENV) or None
    if secret is None and secret_file is not None:
        try:
            secret = secret_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError.one(
                file, None, "console.secret_file", f"cannot read {secret_file}: {exc.strerror}"
            ) from None
    return settings.model_copy(
        update={
            "database_url": _rebase_sqlite(settings.database_url, base),
            "archive_dir": rel(settings.archive_dir),
            "partners_dir": rel(settings.partners_dir),
            "mappings_dir": rel(settings.mappings_dir),
            "console": console.model_copy(
                update={"secret_file": secret_file, "secret": SecretStr(secret) if secret else None}
            ),
        }
    )
