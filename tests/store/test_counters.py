"""Counters hand out every number once, across threads and across processes, on each backend."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from gateway.store import next_value, session_scope
from gateway.store.counters import peek

WORKERS = 8
PER_WORKER = 25


def take(engine, partner: str = "amazon-us", name: str = "isa", start: int = 1) -> int:
    with session_scope(engine) as s:
        return next_value(s, partner, name, start)


def test_counts_from_start_per_partner_and_name(engine) -> None:
    assert [take(engine) for _ in range(3)] == [1, 2, 3]
    assert take(engine, name="invoice", start=1000) == 1000
    assert take(engine, partner="amazon-eu") == 1
    with session_scope(engine) as s:
        assert peek(s, "amazon-us", "isa") == 3
        assert peek(s, "warehouse", "isa") is None


def test_rolled_back_value_is_given_again(engine) -> None:
    class Stop(Exception):
        pass

    assert take(engine) == 1
    with pytest.raises(Stop), session_scope(engine) as s:
        assert next_value(s, "amazon-us", "isa") == 2
        raise Stop
    assert take(engine) == 2


def test_threads_get_unique_numbers(engine) -> None:
    def worker(_: int) -> list[int]:
        return [take(engine) for _ in range(PER_WORKER)]

    with ThreadPoolExecutor(WORKERS) as pool:
        results = [n for chunk in pool.map(worker, range(WORKERS)) for n in chunk]
    assert sorted(results) == list(range(1, WORKERS * PER_WORKER + 1))


SCRIPT = """
import sys
from gateway.store import make_engine, next_value, session_scope
engine = make_engine(sys.argv[1])
for _ in range(int(sys.argv[2])):
    with session_scope(engine) as s:
        print(next_value(s, "amazon-us", "invoice"), flush=True)
engine.dispose()
"""


def test_processes_get_unique_numbers(engine, db_url: str) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT, db_url, str(PER_WORKER)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    numbers = []
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0
        numbers.extend(int(line) for line in out.split())
    assert sorted(numbers) == list(range(1, 4 * PER_WORKER + 1))
