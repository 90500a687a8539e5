"""Ingest benchmark: mailbox to done for N small 850/856 files, with what each message costs.

In one run, on the same N distinct small files (two thirds Amazon 850s in amazon-us's local
mailbox, one third warehouse 856s in the warehouse's):

- ``parse+translate``: our reader and the mappings into canonical documents, in memory (the work);
- mailbox -> done with real worker processes (``acorn run --once`` each: poll, receive, process,
  997 queued and sent), with 1 worker on SQLite, and 1 and 2 workers on PostgreSQL when
  ``ACORN_TEST_DATABASE_URL`` is set (in a schema of its own, dropped after).

Each worker process counts, and the bench prints per message: SQL statements (SQLAlchemy's
``before_cursor_execute``), commits (the engine's ``commit`` event) and fsyncs (``os.fsync``
wrapped) and CPU time (user + system of the worker processes, ``resource.getrusage`` around
the run: steadier than files/s on a shared machine), beside files/s and the ratio of the
pipeline's time to parse+translate's; under each
row, the time spent in ``os.fsync`` a message and the fsyncs a message by caller (the function that
asked, a file's or a folder's) and the statements a message by kind (verb and first table).

Usage: ``python bench/ingest.py [N] [--quick]`` (default 300; ``--quick``: 12 files, for a test).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MESSAGES = ROOT / "tests" / "data" / "messages"
PO = (MESSAGES / "x12_4010_850_new_po.edi").read_bytes()
ASN = (MESSAGES / "x12_4010_856_partial_shipment.edi").read_bytes()
COLUMNS = (
    "backend",
    "workers",
    "files",
    "seconds",
    "files/s",
    "x p+t",
    "stmts/msg",
    "commits/msg",
    "fsyncs/msg",
    "CPU ms/msg",
)


def files(n: int) -> list[tuple[str, str, bytes]]:
    """``(partner, name, bytes)`` for ``n`` distinct files: two 850s for one 856 (whose cartons'
    SSCCs are its own, so every 856's ship notice to Amazon is sent, not blocked as reused)."""
    from gateway.canonical.gs1 import make_sscc, with_ai

    out = []
    for i in range(1000, 1000 + n):
        if i % 3 == 2:
            data = ASN.replace(b"000007001", f"{i:09d}".encode()).replace(b"*7001*", f"*{i}*".encode())
            data = data.replace(b"GE*1*7001~", f"GE*1*{i}~".encode())  # GS06 and GE02 agree
            data = data.replace(b"ACME-ASN-260115-01", f"ACME-ASN-{i:09d}".encode())
            data = data.replace(b"PRF*4TQ8ZK2M", f"PRF*P{i - 1:07d}".encode())  # the 850 just before
            for carton in (1, 2, 3):  # cartons of their own: a used SSCC blocks the ship notice
                sscc = with_ai(make_sscc(0, "0840012345", i * 10 + carton)).encode()
                data = data.replace(with_ai(make_sscc(0, "0840012345", carton)).encode(), sscc)
            out.append(("warehouse", f"asn_{i}.edi", data))
        else:
            data = PO.replace(b"4101", f"{i:04d}".encode()).replace(b"4TQ8ZK2M", f"P{i:07d}".encode())
            out.append(("amazon-us", f"po_{i}.edi", data))
    return out


# -- counting (in each worker process) ----------------------------------------------------------


class Counts:
    statements = 0
    commits = 0
    fsyncs = 0
    fsync_seconds = 0.0
    callers: dict[str, int] = {}  # "module.function file|folder" -> fsyncs
    kinds: dict[str, int] = {}  # "SELECT documents" -> statements


_KIND = re.compile(
    r"^\s*(?:WITH\b.*?\)\s*)?(SELECT|INSERT|UPDATE|DELETE|SAVEPOINT|RELEASE|ROLLBACK|BEGIN|PRAGMA|\w+)"
    r"(?:.*?\b(?:FROM|INTO|UPDATE)\s+\"?(\w+))?",
    re.IGNORECASE | re.DOTALL,
)


def statement_kind(sql: str) -> str:
    """``"SELECT documents"``: a statement's verb and the first table it names."""
    match = _KIND.match(sql)
    if match is None:
        return "?"
    verb = match.group(1).upper()
    if verb == "UPDATE":
        table = re.match(r"\s*UPDATE\s+\"?(\w+)", sql, re.IGNORECASE)
        return f"UPDATE {table.group(1) if table else '?'}"
    return f"{verb} {match.group(2) or ''}".strip()


_FSYNC_HELPERS = {"fsync_dir", "_sync_dir", "sync_pending", "_sync_outbox", "deferred_sync", "__exit__"}


def _fsync_caller(frame: FrameType | None, folder: bool) -> str:
    """Who asked for an fsync: the first function up the stack that is not a helper."""
    while frame is not None and frame.f_code.co_name in _FSYNC_HELPERS:
        frame = frame.f_back
    if frame is None:
        return "?"
    module = Path(frame.f_code.co_filename).stem
    return f"{module}.{frame.f_code.co_name} {'folder' if folder else 'file'}"


def install_counters() -> None:
    """Count every SQL statement and commit of every engine, and every ``os.fsync``."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    def statement(_conn: object, _cursor: object, sql: str, *_args: object, **_kw: object) -> None:
        Counts.statements += 1
        kind = statement_kind(sql)
        Counts.kinds[kind] = Counts.kinds.get(kind, 0) + 1

    def commit(*_args: object) -> None:
        Counts.commits += 1

    event.listen(Engine, "before_cursor_execute", statement)
    event.listen(Engine, "commit", commit)
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        Counts.fsyncs += 1
        caller = _fsync_caller(sys._getframe(1), stat.S_ISDIR(os.fstat(fd).st_mode))
        Counts.callers[caller] = Counts.callers.get(caller, 0) + 1
        began = time.perf_counter()
        real_fsync(fd)
        Counts.fsync_seconds += time.perf_counter() - began

    os.fsync = fsync  # type: ignore[assignment]


def cpu_seconds() -> float:
    """User + system CPU seconds this process has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def worker() -> None:
    """``acorn run --once`` with counters; prints the counts as JSON on the last line."""
    install_counters()
    from gateway.service.runtime import Runtime
    from gateway.service.scheduler import run_once

    runtime = Runtime.open(Path(os.environ["ACORN_CONFIG"]))
    start = (Counts.statements, Counts.commits, Counts.fsyncs)
    cpu = cpu_seconds()
    began = time.time()
    totals = run_once(runtime)
    ended = time.time()
    cpu = cpu_seconds() - cpu
    runtime.close()
    counts = (Counts.statements - start[0], Counts.commits - start[1], Counts.fsyncs - start[2])
    print(
        json.dumps(
            {
                "statements": counts[0],
                "commits": counts[1],
                "fsyncs": counts[2],
                "fsync_callers": Counts.callers,
                "kinds": Counts.kinds,
                "fsync_seconds": Counts.fsync_seconds,
                "cpu_seconds": cpu,
                "began": began,
                "ended": ended,
                **totals,
            }
        )
    )


# -- the run -----------------------------------------------------------------------------------


def parse_translate_seconds(payloads: list[tuple[str, str, bytes]]) -> float:
    """Seconds for our reader and the mappings to turn every file into canonical documents."""
    from gateway.edi import parse
    from gateway.mapping.registry import MappingRegistry

    registry = MappingRegistry(ROOT / "mappings")
    for tx in [*parse(PO).transactions, *parse(ASN).transactions]:  # warm up: mappings compiled once
        registry.select(tx.standard, tx.version, tx.type, "inbound").translate(tx, {"partner": "amazon-us"})
    start = time.perf_counter()
    for partner, _name, data in payloads:
        for tx in parse(data).transactions:
            mapping = registry.select(tx.standard, tx.version, tx.type, "inbound")
            mapping.translate(tx, {"partner": partner})
    return time.perf_counter() - start


@contextmanager
def home_for(pg_url: str | None) -> Iterator[Path]:
    """A gateway home (partners, config) on SQLite or in a fresh PostgreSQL schema."""
    home = Path(tempfile.mkdtemp(prefix="acorn-bench-ingest-"))
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = None
    try:
        shutil.copytree(ROOT / "partners", home / "partners", ignore=shutil.ignore_patterns("examples"))
        url = "sqlite:///acorn.sqlite3"
        if pg_url:
            from sqlalchemy import create_engine, text

            admin = create_engine(pg_url)
            with admin.begin() as conn:
                conn.execute(text(f"CREATE SCHEMA {schema}"))
            url = f"{pg_url}{'&' if '?' in pg_url else '?'}options=-csearch_path%3D{schema}"
        (home / "config.yaml").write_text(
            f"database_url: {url}\narchive_dir: archive\npartners_dir: partners\nmappings_dir: {ROOT / 'mappings'}\n",
            encoding="utf-8",
        )
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)
        if admin is not None:
            from sqlalchemy import text

            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()


def mailbox_to_done(
    payloads: list[tuple[str, str, bytes]], workers: int, pg_url: str | None
) -> dict[str, float]:
    """Time (first worker's start of the poll to the last one's end, interpreter start-up left out)
    and counts for ``workers`` processes to take every file from the mailboxes to done."""
    with home_for(pg_url) as home:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "ACORN_CONFIG": str(home / "config.yaml")}
        subprocess.run(
            [sys.executable, "-c", "import os, pathlib; from gateway.service.runtime import Runtime; "
             "Runtime.open(pathlib.Path(os.environ['ACORN_CONFIG'])).close()"],
            env=env, cwd=home, check=True,
        )  # fmt: skip
        for partner, name, data in payloads:
            inbox = home / "run" / "mailboxes" / partner / "inbox"
            inbox.mkdir(parents=True, exist_ok=True)
            (inbox / name).write_bytes(data)
        procs = [
            subprocess.Popen(
                [sys.executable, __file__, "--worker"],
                env=env,
                cwd=home,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            for _ in range(workers)
        ]
        outputs = [proc.communicate()[0] for proc in procs]
        left = sum(1 for _ in (home / "run").glob("mailboxes/*/inbox/*"))
        assert left == 0, f"{left} files left in the inboxes"
        counts = [json.loads(out.strip().splitlines()[-1]) for out in outputs]
        total = {
            k: float(sum(c[k] for c in counts)) for k in ("statements", "commits", "fsyncs", "taken", "done")
        }
        assert total["taken"] == len(payloads), f"taken {total['taken']} of {len(payloads)}"
        total["seconds"] = max(c["ended"] for c in counts) - min(c["began"] for c in counts)
        total["per_worker"] = [c["taken"] for c in counts]  # type: ignore[assignment]
        callers: dict[str, int] = {}
        for c in counts:
            for caller, n in c["fsync_callers"].items():
                callers[caller] = callers.get(caller, 0) + n
        total["fsync_callers"] = callers  # type: ignore[assignment]
        kinds: dict[str, int] = {}
        for c in counts:
            for kind, k in c["kinds"].items():
                kinds[kind] = kinds.get(kind, 0) + k
        total["kinds"] = kinds  # type: ignore[assignment]
        total["fsync_seconds"] = sum(c["fsync_seconds"] for c in counts)
        total["cpu_seconds"] = sum(c["cpu_seconds"] for c in counts)
        return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=300)
    parser.add_argument("--quick", action="store_true", help="12 files (a smoke test of the columns)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker()
        return
    n = 12 if args.quick else args.n
    payloads = files(n)
    t_work = parse_translate_seconds(payloads)
    print(f"{n} distinct small files ({sum(p == 'amazon-us' for p, _, _ in payloads)} 850s, "
          f"{sum(p == 'warehouse' for p, _, _ in payloads)} 856s); "
          f"parse+translate {t_work:.3f} s ({n / t_work:.0f} files/s)")  # fmt: skip
    runs: list[tuple[str, str | None, int]] = [("SQLite", None, 1)]
    if os.environ.get("ACORN_TEST_DATABASE_URL"):
        pg = os.environ["ACORN_TEST_DATABASE_URL"]
        runs += [("PostgreSQL", pg, 1), ("PostgreSQL", pg, 2)]
    print(" | ".join(COLUMNS))
    for name, url, workers in runs:
        r = mailbox_to_done(payloads, workers, url)
        print(" | ".join([
            name, str(workers), str(n), f"{r['seconds']:.2f}", f"{n / r['seconds']:.1f}",
            f"{r['seconds'] / t_work:.0f}", f"{r['statements'] / n:.1f}", f"{r['commits'] / n:.2f}",
            f"{r['fsyncs'] / n:.2f}", f"{r['cpu_seconds'] * 1000 / n:.1f}",
        ]) + f"   (files per worker: {r['per_worker']})")  # fmt: skip
        by_caller = sorted(r["fsync_callers"].items(), key=lambda kv: -kv[1])  # type: ignore[attr-defined]
        print(f"    fsync time {r['fsync_seconds'] * 1000 / n:.1f} ms/msg; fsyncs/msg by caller: "
              + ", ".join(f"{k} {v / n:.2f}" for k, v in by_caller))  # fmt: skip
        by_kind = sorted(r["kinds"].items(), key=lambda kv: -kv[1])  # type: ignore[attr-defined]
        print("    statements/msg by kind: " + ", ".join(f"{k} {v / n:.2f}" for k, v in by_kind))


if __name__ == "__main__":
    main()
