"""The OpenAPI 3.1 description of ``/api/``: a static file, ``openapi.yaml`` beside this module.

Served as JSON and YAML with the installed version filled in; a test keeps it in step with
the routes and validates it against the OpenAPI schema.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import yaml

from gateway import __version__

SOURCE = Path(__file__).with_name("openapi.yaml")


@functools.cache
def _load() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(SOURCE.read_text(encoding="utf-8"))
    return document


def openapi_document() -> dict[str, Any]:
    """The document as a fresh dictionary (callers may change it)."""
    document = copy.deepcopy(_load())
    document["info"]["version"] = __version__
    return document
