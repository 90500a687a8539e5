"""``bench/startup.py`` runs and prints a row per command with its ratio and CPU time (no timing asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "startup.py"
ROW = re.compile(
    r"^(?P<name>.+?)\s+(?P<median>\d+\.\d{3})\s+(?P<ratio>\d+\.\d)\s+(?P<cpu>\d+\.\d{3})\s+(?P<loaded>.+)$"
)


def test_startup_bench_prints_every_case_and_the_verdict() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--repeat", "1"], capture_output=True, text=True, check=True
    )
    rows = {m["name"]: m for m in map(ROW.match, done.stdout.splitlines()) if m}
    assert set(rows) >= {"bare interpreter", "acorn --help", "acorn parse FILE", "acorn translate FILE"}
    assert rows["bare interpreter"]["ratio"] == "1.0"
    assert rows["acorn --help"]["loaded"] == "-"  # the lazy group: no heavy library for help
    assert "lxml" not in rows["acorn translate FILE"]["loaded"]  # canonical XML only when the file is XML
    assert all(float(row["cpu"]) > 0 for row in rows.values())
    assert "sqlalchemy" in rows["acorn messages --help"]["loaded"]
    assert "target under 0.2 s: acorn --help" in done.stdout
