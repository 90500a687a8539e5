"""A gateway home for the 846 tests (the pipeline's)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pipeline.conftest import make_home


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return make_home(tmp_path / "gw").parent
