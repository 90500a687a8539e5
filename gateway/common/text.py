"""Text that is safe to store, show and log: the one escaping rule for bytes that are not UTF-8.

File names come from the operating system and EDI text from partners; both are decoded with
``surrogateescape``, so a byte that is not UTF-8 (``0xFF``) becomes a lone surrogate that no
database driver, JSON encoder or terminal accepts. :func:`escape_text` turns such a character
into the readable ``\\xff`` and, for one-line text (log lines, names), the control characters too
(``\\n``, ``\\x1b``), so nothing that reaches a database row, a page or a log line can fail to
encode or forge a second line. :func:`name_bytes` keeps the original bytes of a name that did
not survive unchanged.
"""

from __future__ import annotations

import re
from typing import Any

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(ch: str, multiline: bool) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte surrogateescape kept
        return f"\\x{code - 0xDC00:02x}"
    if 0xD800 <= code <= 0xDFFF:  # any other lone surrogate
        return f"\\u{code:04x}"
    if multiline and ch in "\n\t":
        return ch
    if code < 0x20 or 0x7F <= code < 0xA0 or code in (0x2028, 0x2029):
        if code >= 0x100:
            return f"\\u{code:04x}"
        return _NAMED.get(ch) or f"\\x{code:02x}"
    return ch


def _needs_escape(ch: str) -> bool:
    code = ord(ch)
    return code < 0x20 or 0x7F <= code < 0xA0 or 0xD800 <= code <= 0xDFFF or code in (0x2028, 0x2029)


#: the characters :func:`_needs_escape` names, as one class: a text scanned at C speed (every
#: timeline note goes through here, most of them plain)
_NEEDS_ESCAPE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029]")


def escape_text(text: str, *, multiline: bool = False) -> str:
    """``text`` with undecodable bytes as ``\\xNN`` and control characters escaped.

    ``multiline`` keeps line feeds and tabs (an error text shown in a ``<pre>``); every other
    control character, and always a carriage return, is escaped. Text that needs nothing comes back
    unchanged (the common case costs one scan).
    """
    if _NEEDS_ESCAPE.search(text) is None:
        return text
    return "".join(_escape_char(ch, multiline) if _needs_escape(ch) else ch for ch in text)


def escape_value(value: Any) -> Any:
    """:func:`escape_text` through the strings of a JSON-like value (dict keys and values, lists)."""
    if isinstance(value, str):
        return escape_text(value, multiline=True)
    if isinstance(value, dict):
        return {escape_value(k): escape_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [escape_value(v) for v in value]
    return value


def name_bytes(name: str) -> bytes | None:
    """The original bytes of a file name when its escaped form differs from it, else ``None``."""
    if escape_text(name) == name:
        return None
    if _only_bytes(name):
        return name.encode("utf-8", "surrogateescape")
    return name.encode("utf-8", "backslashreplace")


def _only_bytes(name: str) -> bool:
    return not any(0xD800 <= ord(ch) <= 0xDC7F or 0xDD00 <= ord(ch) <= 0xDFFF for ch in name)
