"""``bench/ingest.py --quick`` runs end to end and prints its columns (figures are not asserted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ingest_bench_quick_prints_the_columns() -> None:
    env = {k: v for k, v in os.environ.items() if k != "ACORN_TEST_DATABASE_URL"}  # SQLite only: quick
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "ingest.py"), "--quick"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=True,
    ).stdout  # fmt: skip
    header = next(line for line in out.splitlines() if line.startswith("backend"))
    for column in ("files/s", "x p+t", "stmts/msg", "commits/msg", "fsyncs/msg", "CPU ms/msg"):
        assert column in header
    row = next(line for line in out.splitlines() if line.startswith("SQLite"))
    assert row.split(" | ")[2] == "12"
