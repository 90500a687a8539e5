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


def test_next_values_reserves_several_counters_in_one_statement(engine) -> None:
    """The numbers ``next_values`` gives are the ones one-by-one calls would give, then both go on."""
    from sqlalchemy import event

    from gateway.store.counters import next_values

    assert take(engine, name="gs") == 1
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a, **k: statements.append(a[2]))
    with session_scope(engine) as s:
        got = next_values(s, "amazon-us", {"st": 3, "gs": 1, "isa": 1})
    assert [x for x in statements if "counters" in x] == [statements[-1]]  # one statement
    assert got == {"st": [1, 2, 3], "gs": [2], "isa": [1]}
    assert [take(engine, name=n) for n in ("st", "gs", "isa")] == [4, 3, 2]
    with session_scope(engine) as s:
        assert next_values(s, "amazon-us", {}) == {}
        with pytest.raises(ValueError, match="at least 1"):
            next_values(s, "amazon-us", {"st": 0})


MIXED_SCRIPT = """
import sys
from gateway.store import make_engine, next_value, session_scope
from gateway.store.counters import next_values
engine = make_engine(sys.argv[1])
for i in range(int(sys.argv[2])):
    with session_scope(engine) as s:
        if i % 2:
            got = next_values(s, "amazon-us", {"st": 2, "gs": 1, "isa": 1})
            print(*got["st"], "gs", *got["gs"], "isa", *got["isa"], flush=True)
        else:
            st = next_value(s, "amazon-us", "st")
            print(st, "gs", next_value(s, "amazon-us", "gs"), "isa", next_value(s, "amazon-us", "isa"), flush=True)
engine.dispose()
"""


def test_workers_mixing_one_statement_and_one_by_one_get_unique_increasing_numbers(
    engine, db_url: str
) -> None:
    """Two worker processes, each reserving ST, GS and ISA alone and in one statement by turns:
    every number once, and in each worker's own order each counter only goes up."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", MIXED_SCRIPT, db_url, str(PER_WORKER)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    numbers: dict[str, list[int]] = {"st": [], "gs": [], "isa": []}
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0
        mine: dict[str, list[int]] = {"st": [], "gs": [], "isa": []}
        for line in out.splitlines():
            st, _, gs = line.partition(" gs ")
            gs, _, isa = gs.partition(" isa ")
            for name, part in (("st", st), ("gs", gs), ("isa", isa)):
                mine[name] += [int(x) for x in part.split()]
        for name, values in mine.items():
            assert values == sorted(values) and len(set(values)) == len(values), name
            numbers[name] += values
    half = PER_WORKER // 2
    assert sorted(numbers["isa"]) == list(range(1, 2 * PER_WORKER + 1))
    assert sorted(numbers["gs"]) == list(range(1, 2 * PER_WORKER + 1))
    assert sorted(numbers["st"]) == list(range(1, 2 * (PER_WORKER + half) + 1))
