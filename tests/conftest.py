"""Shared fixtures: where the sample messages and the public corpus live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "tests" / "data"
CORPUS_DIR = Path(os.environ.get("ACORN_CORPUS_DIR", PROJECT_ROOT.parent / "shared" / "corpus"))


@pytest.fixture
def data_dir() -> Path:
    """The project's own sample messages (tests/data)."""
    return DATA_DIR


@pytest.fixture
def corpus_dir() -> Path:
    """../shared/corpus; tests using it skip when the folder is absent."""
    if not CORPUS_DIR.is_dir():
        pytest.skip(f"public corpus not present at {CORPUS_DIR}")
    return CORPUS_DIR
