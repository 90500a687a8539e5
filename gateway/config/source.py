"""Read a YAML configuration file and validate it with pydantic, keeping lines for errors.

The YAML is read by :mod:`gateway.common.yamlfile`, whose dicts and lists remember the
line of every key and item. :func:`validate` runs a pydantic model over that tree and
turns each pydantic error into a :class:`ConfigProblem` whose line is found by walking
the error's location down the tree, so a wrong value in ``partners/amazon-us.yaml``
reads ``partners/amazon-us.yaml:14: mailboxes[0].interval: ...``.

:func:`inline_secrets` finds keys that would hold a secret in clear text (``password``,
``passphrase``...); profiles and ``config.yaml`` must name an environment variable or a
file instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from gateway.common.yamlfile import MarkedDict, YamlError, line_of, load_yaml_text
from gateway.config.errors import ConfigError, ConfigProblem

M = TypeVar("M", bound=BaseModel)

#: Keys that would hold a secret inline; the message says what to write instead.
INLINE_SECRET_KEYS: dict[str, str] = {
    "password": "use password_env (an environment variable name) or password_file",
    "passphrase": "use key_passphrase_env or key_passphrase_file",
    "key_passphrase": "use key_passphrase_env or key_passphrase_file",
    "private_key_password": "use private_key_password_env or private_key_password_file",
    "secret": "use the environment variable ACORN_CONSOLE_SECRET or secret_file",
    "token": "use token_env or token_file",
}


def read_yaml(path: Path) -> Any:
    """Parse ``path`` into a line-marked tree. Raises :class:`ConfigError` when unreadable or not YAML."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError.one(str(path), None, "", f"cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError.one(str(path), None, "", "not UTF-8 text") from None
    try:
        return load_yaml_text(text, str(path))
    except YamlError as exc:
        raise ConfigError(exc.problems) from None


#: Steps pydantic adds to an error location that are not keys of the file (union tags).
_TAGS = frozenset({"local", "sftp", "as2"})


def _keys_only(loc: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(
        step
        for step in loc
        if isinstance(step, int) or (isinstance(step, str) and step not in _TAGS and "[" not in step)
    )


def dotted(loc: Iterable[Any]) -> str:
    """``("mailboxes", 0, "inbox")`` -> ``mailboxes[0].inbox``."""
    text = ""
    for step in _keys_only(loc):
        if isinstance(step, int):
            text += f"[{step}]"
        else:
            text += f".{step}" if text else step
    return text


def _message(error: Any) -> str:
    if error.get("type") == "extra_forbidden":
        return "unknown setting (check the spelling)"
    if error.get("type") == "missing":
        return "required"
    return str(error.get("msg", "invalid")).removeprefix("Value error, ")


def problems_from(exc: ValidationError, tree: Any, file: str) -> list[ConfigProblem]:
    """Turn pydantic errors into problems located in ``tree`` (read from ``file``)."""
    problems = []
    for error in exc.errors():
        loc = _keys_only(error["loc"])
        problems.append(ConfigProblem(file, line_of(tree, loc), dotted(loc), _message(error)))
    return problems


def validate(model: type[M], tree: Any, file: str, context: dict[str, Any] | None = None) -> M:
    """Validate ``tree`` as ``model``. Raises :class:`ConfigError` with every problem located."""
    problems = inline_secrets(tree, file)
    if problems:
        raise ConfigError(problems)
    if tree is None:
        tree = {}
    if not isinstance(tree, dict):
        raise ConfigError.one(file, getattr(tree, "line", 1), "", "expected a mapping of settings")
    try:
        return model.model_validate(tree, context=context)
    except ValidationError as exc:
        raise ConfigError(problems_from(exc, tree, file)) from None


def inline_secrets(tree: Any, file: str, path: str = "") -> list[ConfigProblem]:
    """Problems for every key that would hold a secret in clear text."""
    found: list[ConfigProblem] = []
    if isinstance(tree, dict):
        for key, value in tree.items():
            here = f"{path}.{key}" if path else str(key)
            hint = INLINE_SECRET_KEYS.get(str(key).lower())
            if hint is not None and value not in (None, ""):
                line = tree.key_lines.get(key) if isinstance(tree, MarkedDict) else None
                found.append(ConfigProblem(file, line, here, f"secrets are never written inline: {hint}"))
            else:
                found.extend(inline_secrets(value, file, here))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            found.extend(inline_secrets(value, file, f"{path}[{index}]"))
    return found
