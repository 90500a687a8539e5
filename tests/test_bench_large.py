"""``bench/large.py --quick`` runs every contender on both standards and prints the verdicts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "large.py"


def test_large_bench_quick_prints_each_contender_and_the_targets() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--ingest-max", "0"],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    rows = [line for line in done.stdout.splitlines() if " POs " in line and "naive" not in line[:22]]
    for kind in ("x12", "edifact"):
        for contender in ("naive split", "acorn parse", "acorn translate --jsonl"):
            (row,) = [r for r in rows if r.startswith(kind) and contender in r]
            assert "exit" not in row, row  # every contender ran to the end
    assert "worst acorn peak RSS above the interpreter:" in done.stdout
    assert "x12 0.0 MiB 20 POs: parse at" in done.stdout


def test_large_bench_only_parse_runs_the_naive_split_and_acorn_parse_alone() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--only", "parse", "--kinds", "edifact"],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    rows = [line for line in done.stdout.splitlines() if " POs " in line and ": parse at" not in line]
    assert [row.split()[0] for row in rows] == ["edifact", "edifact"]
    assert "naive split" in rows[0] and "acorn parse" in rows[1]
    assert "edifact 0.0 MiB 20 POs: parse at" in done.stdout
