"""Serving the console: waitress (a production WSGI server, pure Python) on the configured address."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from waitress import serve as waitress_serve

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger(__name__)


def serve(app: Flask, host: str, port: int, threads: int = 8) -> None:
    """Serve ``app`` until interrupted. Raises :class:`OSError` when the address is taken."""
    log.info("console listening on http://%s:%d/", host, port)
    waitress_serve(
        app, host=host, port=port, threads=threads, ident="acorn", clear_untrusted_proxy_headers=True
    )
