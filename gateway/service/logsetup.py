"""Logging for the service: text for people or JSON lines for collectors, secrets redacted.

:class:`RedactingFilter` masks anything that looks like a credential in a log line
(``password=...``, ``secret: ...``, ``token ...``, the password of a database URL), so a
careless message or a library's exception text never writes a secret to the log.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

from gateway.common.text import escape_text

_PATTERNS = [
    re.compile(r"(?i)\b(password|passwd|passphrase|secret|token|api[_-]?key)(\s*[=:]\s*|\s+)([^\s,;'\"]+)"),
    re.compile(r"(?i)(://[^:/@\s]+:)([^@\s]+)(@)"),
]


def redact(text: str) -> str:
    """``text`` with credentials replaced by ``***``."""
    text = _PATTERNS[0].sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
    return _PATTERNS[1].sub(lambda m: f"{m.group(1)}***{m.group(3)}", text)


class RedactingFilter(logging.Filter):
    """Masks credentials in every record's message (the record is rendered once, here) and escapes
    control characters and bytes that are not UTF-8 (:func:`~gateway.common.text.escape_text`): a
    file name holding a line feed cannot forge a second log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = escape_text(redact(message))
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            data["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(data)


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Log to stderr at ``level`` in ``text`` or ``json`` lines, with redaction."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_acorn", False):
            root.removeHandler(old)
    handler._acorn = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))
    logging.getLogger("paramiko").setLevel(max(logging.WARNING, root.level))
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
