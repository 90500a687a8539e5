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

``creates/msg`` counts the inodes a worker creates a message (each costs about three fsyncs on
ext4): ``os.mkdir`` and every open with ``O_CREAT`` (``os.open``, and ``open``/``io.open`` with a
writing mode) of a path that did not exist before; an ``O_CREAT`` open that finds its file is
counted apart (``O_CREAT on existing``), as are the files SQLite makes itself (not seen: C code).
Under each row they are broken down by caller (the first function of the gateway up the stack)
and by folder (``archive/ab``, ``archive/.incoming``, ``outbox``).

Each setting runs twice: into a fresh home (its archive empty), then with as many new files again
into the same home (``…, same home``: a gateway that has run a while, its archive folders there).

Usage: ``python bench/ingest.py [N] [--quick]`` (default 300; ``--quick``: 12 files, for a test).
"""

from __future__ import annotations

import argparse
import builtins
import io
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
from typing import Any

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
    "creates/msg",
    "CPU ms/msg",
)


def files(n: int, first: int = 1000) -> list[tuple[str, str, bytes]]:
    """``(partner, name, bytes)`` for ``n`` distinct files numbered from ``first``: two 850s for one
    856 (whose cartons' SSCCs are its own, so every 856's ship notice to Amazon is sent, not
    blocked as reused)."""
    from gateway.canonical.gs1 import make_sscc, with_ai

    out = []
    for i in range(first, first + n):
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
    creates = 0
    create_callers: dict[str, int] = {}  # "module.function mkdir|file" -> inodes created
    create_places: dict[str, int] = {}  # "archive/ab" -> inodes created in it


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


_CREATE_HELPERS = {"touch", "mkdir", "mkstemp", "_mkstemp_inner", "opened", "made", "io_opened"}
_WRITING = frozenset("wax+")


def _gateway_caller(frame: FrameType | None) -> str:
    """The first function of the gateway (or the bench) up the stack: ``module.function``."""
    while frame is not None and not frame.f_code.co_filename.startswith(str(ROOT)):
        frame = frame.f_back
    while frame is not None and frame.f_code.co_name in _CREATE_HELPERS:
        frame = frame.f_back
    if frame is None:
        return "?"
    return f"{Path(frame.f_code.co_filename).stem}.{frame.f_code.co_name}"


def place_of(path: str) -> str:
    """Where an inode was made, folded: ``archive/ab`` (a shard), ``archive/ab/cd``, ``outbox``…"""
    parts = Path(os.path.abspath(path)).parts
    if "archive" in parts:
        tail = parts[parts.index("archive") + 1 : -1]
        shard = ["ab" if len(p) == 2 else p for p in tail]
        return "/".join(["archive", *shard])
    if "mailboxes" in parts:
        return parts[-2]  # inbox, outbox, processed
    return Path(path).parent.name or "?"


def _count_create(path: object, kind: str, frame: FrameType | None) -> None:
    if kind == "existing":
        key = f"{_gateway_caller(frame)} O_CREAT on existing"
        Counts.create_callers[key] = Counts.create_callers.get(key, 0) + 1
        return
    Counts.creates += 1
    key = f"{_gateway_caller(frame)} {kind}"
    Counts.create_callers[key] = Counts.create_callers.get(key, 0) + 1
    place = place_of(os.fsdecode(path))  # type: ignore[arg-type]
    Counts.create_places[place] = Counts.create_places.get(place, 0) + 1


def _install_create_counters() -> None:
    """Count the inodes created (see the module's text): ``os.mkdir``, ``os.open`` with
    ``O_CREAT``, and ``open``/``io.open`` in a writing mode, of paths that were not there."""
    real_open, real_mkdir, real_io_open = os.open, os.mkdir, io.open

    def opened(path: object, flags: int, *args: object, **kw: object) -> int:
        if not flags & os.O_CREAT or kw.get("dir_fd") is not None:
            return real_open(path, flags, *args, **kw)  # type: ignore[arg-type]
        new = not os.path.lexists(path)  # type: ignore[arg-type]
        fd = real_open(path, flags, *args, **kw)  # type: ignore[arg-type]
        _count_create(path, "file" if new else "existing", sys._getframe(1))
        return fd

    def made(path: object, *args: object, **kw: object) -> None:
        real_mkdir(path, *args, **kw)  # type: ignore[arg-type]
        _count_create(path, "mkdir", sys._getframe(1))

    def io_opened(file: object, mode: str = "r", *args: object, **kw: object) -> object:
        if isinstance(file, int) or not _WRITING & set(mode):
            return real_io_open(file, mode, *args, **kw)  # type: ignore[call-overload]
        new = not os.path.lexists(file)  # type: ignore[arg-type]
        handle = real_io_open(file, mode, *args, **kw)  # type: ignore[call-overload]
        _count_create(file, "file" if new else "existing", sys._getframe(1))
        return handle

    os.open = opened  # type: ignore[assignment]
    os.mkdir = made  # type: ignore[assignment]
    io.open = io_opened  # type: ignore[assignment]
    builtins.open = io_opened  # type: ignore[assignment]


def install_counters() -> None:
    """Count every SQL statement and commit of every engine, every ``os.fsync`` and every inode
    created."""
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
    _install_create_counters()


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
    start = (Counts.statements, Counts.commits, Counts.fsyncs, Counts.creates)
    Counts.create_callers.clear()
    Counts.create_places.clear()
    cpu = cpu_seconds()
    began = time.time()
    totals = run_once(runtime)
    ended = time.time()
    cpu = cpu_seconds() - cpu
    runtime.close()
    counts = (
        Counts.statements - start[0],
        Counts.commits - start[1],
        Counts.fsyncs - start[2],
        Counts.creates - start[3],
    )
    print(
        json.dumps(
            {
                "statements": counts[0],
                "commits": counts[1],
                "fsyncs": counts[2],
                "creates": counts[3],
                "create_callers": Counts.create_callers,
                "create_places": Counts.create_places,
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
    rounds: list[list[tuple[str, str, bytes]]], workers: int, pg_url: str | None
) -> list[dict[str, float]]:
    """Time (first worker's start of the poll to the last one's end, interpreter start-up left out)
    and counts for ``workers`` processes to take every file from the mailboxes to done; once for
    each round of files, one after the other into the same home (the first into a fresh one)."""
    with home_for(pg_url) as home:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "ACORN_CONFIG": str(home / "config.yaml")}
        subprocess.run(
            [sys.executable, "-c", "import os, pathlib; from gateway.service.runtime import Runtime; "
             "Runtime.open(pathlib.Path(os.environ['ACORN_CONFIG'])).close()"],
            env=env, cwd=home, check=True,
        )  # fmt: skip
        return [_one_round(home, env, payloads, workers) for payloads in rounds]


def _merged(counts: list[dict[str, Any]], key: str) -> dict[str, int]:
    merged: dict[str, int] = {}
    for c in counts:
        for name, n in c[key].items():
            merged[name] = merged.get(name, 0) + n
    return merged


def _one_round(
    home: Path, env: dict[str, str], payloads: list[tuple[str, str, bytes]], workers: int
) -> dict[str, float]:
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
        k: float(sum(c[k] for c in counts))
        for k in ("statements", "commits", "fsyncs", "creates", "taken", "done")
    }
    assert total["taken"] == len(payloads), f"taken {total['taken']} of {len(payloads)}"
    total["seconds"] = max(c["ended"] for c in counts) - min(c["began"] for c in counts)
    total["per_worker"] = [c["taken"] for c in counts]  # type: ignore[assignment]
    for key in ("fsync_callers", "kinds", "create_callers", "create_places"):
        total[key] = _merged(counts, key)  # type: ignore[assignment]
    total["fsync_seconds"] = sum(c["fsync_seconds"] for c in counts)
    total["cpu_seconds"] = sum(c["cpu_seconds"] for c in counts)
    return total


def _breakdown(figures: dict[str, int], n: int) -> str:
    return ", ".join(f"{k} {v / n:.2f}" for k, v in sorted(figures.items(), key=lambda kv: -kv[1]))


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
    again = files(n, first=1000 + n)  # as many new files, for the second round into the same home
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
        fresh, same_home = mailbox_to_done([payloads, again], workers, url)
        for label, r in ((name, fresh), (f"{name}, same home", same_home)):
            print(" | ".join([
                label, str(workers), str(n), f"{r['seconds']:.2f}", f"{n / r['seconds']:.1f}",
                f"{r['seconds'] / t_work:.0f}", f"{r['statements'] / n:.1f}", f"{r['commits'] / n:.2f}",
                f"{r['fsyncs'] / n:.2f}", f"{r['creates'] / n:.2f}", f"{r['cpu_seconds'] * 1000 / n:.1f}",
            ]) + f"   (files per worker: {r['per_worker']})")  # fmt: skip
            print(f"    fsync time {r['fsync_seconds'] * 1000 / n:.1f} ms/msg; fsyncs/msg by caller: "
                  + _breakdown(r["fsync_callers"], n))  # type: ignore[arg-type]  # fmt: skip
            print("    creates/msg by caller: " + _breakdown(r["create_callers"], n))  # type: ignore[arg-type]
            print("    creates/msg by folder: " + _breakdown(r["create_places"], n))  # type: ignore[arg-type]
            print("    statements/msg by kind: " + _breakdown(r["kinds"], n))  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
