"""pyas2lib, imported the one way that works on OpenSSL 3.0.10 and later.

pyas2lib (GPL, like this project) does AS2's MIME and CMS work through oscrypto 1.3.0, the last
release on PyPI. oscrypto reads the libcrypto version with the pattern ``\\d\\.\\d\\.\\d``, which
cannot match a two-digit patch number such as ``3.0.19``, and then refuses to load ("Error
detecting the version of libcrypto"; oscrypto issues #75 and #78, fixed upstream but never
released). :func:`_import_oscrypto` is the compatibility step: while oscrypto's modules are
first imported, and only then, ``re.search`` is given the corrected pattern
``\\d+\\.\\d+\\.\\d+`` when it is asked for the broken one. Everything else about the import is
unchanged, and with a fixed oscrypto the step does nothing.

Import pyas2lib from here, never directly.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

_BROKEN = "\\b(\\d\\.\\d\\.\\d[a-z]*)\\b"
_FIXED = "\\b(\\d+\\.\\d+\\.\\d+[a-z]*)\\b"
_lock = threading.Lock()


def _import_oscrypto() -> None:
    """Import oscrypto's OpenSSL backend with the version pattern corrected (see module docstring)."""
    original = re.search

    def search(pattern: Any, string: Any, flags: Any = 0) -> Any:
        return original(_FIXED if pattern == _BROKEN else pattern, string, flags)

    with _lock:
        re.search = search
        try:
            import oscrypto.asymmetric  # type: ignore[import-untyped]  # loads libcrypto, reads its version
            import oscrypto.symmetric  # type: ignore[import-untyped]  # noqa: F401
        finally:
            re.search = original


_import_oscrypto()

from oscrypto import asymmetric  # type: ignore[import-untyped]  # noqa: E402 - needs the step above
from pyas2lib import as2, cms, exceptions, utils  # type: ignore[import-untyped]  # noqa: E402


class _NoParseTracebacks(logging.Filter):
    """pyas2lib logs a full traceback at ERROR for every message it cannot parse; bad input is
    not a crash, and :mod:`gateway.transports.as2_http` logs one clear line instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno >= logging.ERROR and str(record.msg).startswith("Failed to parse AS2"))


logging.getLogger("pyas2lib").addFilter(_NoParseTracebacks())

__all__ = ["as2", "asymmetric", "cms", "exceptions", "utils"]
