"""Ingest benchmark: the whole pipeline vs. its parts, on the same 850 purchase orders, in one run.

Columns, each on the same N distinct X12 850 files:

- ``parse``: our reader only (the syntax-layer floor);
- ``parse+translate``: reader + mapping into the canonical PurchaseOrder, in memory;
- ``pipeline``: ``gateway.service.pipeline.ingest`` on a real SQLite file and archive: fsynced archive
  write, message row, duplicate check, 997 queued, translate, document stored, every stage
  committed (what a mailbox poll does per file).

Then mailbox -> done with real gateway processes (``acorn run --once``): the N files split over
two local mailboxes of the partner, with 1 and 2 worker processes, on SQLite and (when
``ACORN_TEST_DATABASE_URL`` is set) on PostgreSQL, in a schema of its own that is dropped after.

Prints messages per second and the pipeline's cost relative to the in-memory work.
Usage: ``python bench/ingest.py [N]`` (default 300).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway.edi import parse  # noqa: E402
from gateway.mapping.registry import MappingRegistry  # noqa: E402
from gateway.service import pipeline  # noqa: E402
from gateway.service.runtime import Runtime  # noqa: E402

SAMPLE = ROOT / "tests" / "data" / "messages" / "x12_4010_850_new_po.edi"


def files(n: int) -> list[bytes]:
    raw = SAMPLE.read_bytes()
    return [raw.replace(b"4101", f"{i:04d}".encode()).replace(b"4TQ8ZK2M", f"P{i:07d}".encode())
            for i in range(1000, 1000 + n)]  # fmt: skip


def timed(label: str, work, payloads: list[bytes]) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    for data in payloads:
        work(data)
    elapsed = time.perf_counter() - start
    rate = len(payloads) / elapsed
    print(f"{label:<18} {elapsed:8.2f} s {rate:10.1f} msg/s {1000 * elapsed / len(payloads):8.2f} ms/msg")
    return elapsed


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    payloads = files(n)
    registry = MappingRegistry(ROOT / "mappings")
    mapping = registry.select("x12", "004010", "850", "inbound")

    def parse_only(data: bytes) -> None:
        parse(data)

    def parse_translate(data: bytes) -> None:
        for tx in parse(data).transactions:
            mapping.translate(tx, {"partner": "amazon-us"})

    home = Path(tempfile.mkdtemp(prefix="acorn-bench-"))
    try:
        shutil.copytree(ROOT / "partners", home / "partners")
        (home / "config.yaml").write_text(
            f"database_url: sqlite:///acorn.sqlite3\narchive_dir: archive\npartners_dir: partners\n"
            f"mappings_dir: {ROOT / 'mappings'}\n",
            encoding="utf-8",
        )
        runtime = Runtime.open(home / "config.yaml")
        counter = iter(range(n))

        def full(data: bytes) -> None:
            receipt = pipeline.ingest(runtime, data, f"po_{next(counter)}.edi")
            assert receipt.state == "done", receipt

        print(f"{n} distinct X12 850 files of {statistics.mean(map(len, payloads)):.0f} bytes")
        t_parse = timed("parse", parse_only, payloads)
        t_translate = timed("parse+translate", parse_translate, payloads)
        t_full = timed("pipeline (SQLite)", full, payloads)
        runtime.close()
        print(f"ratio pipeline/parse+translate = {t_full / t_translate:.1f}x; "
              f"parse+translate/parse = {t_translate / t_parse:.1f}x")  # fmt: skip
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print()
    print(f"mailbox -> done, {n} files over 2 local mailboxes, `acorn run --once` processes:")
    backends = [("SQLite", None)]
    if os.environ.get("ACORN_TEST_DATABASE_URL"):
        backends.append(("PostgreSQL", os.environ["ACORN_TEST_DATABASE_URL"]))
    for name, url in backends:
        for workers in (1, 2):
            elapsed = end_to_end(payloads, workers, url)
            print(f"{name:<11} {workers} worker(s) {elapsed:8.2f} s {n / elapsed:8.1f} files/s "
                  f"(x{elapsed / t_translate:.0f} parse+translate)")  # fmt: skip


PARTNER_WITH_TWO_BOXES = """
mailboxes:
  - {name: a, type: local, inbox: run/a/inbox, outbox: run/a/outbox, processed: run/a/processed}
  - {name: b, type: local, inbox: run/b/inbox, outbox: run/b/outbox, processed: run/b/processed}
"""


def end_to_end(payloads: list[bytes], workers: int, pg_url: str | None) -> float:
    """Seconds for ``workers`` gateway processes to take every file from the two mailboxes to done."""
    home = Path(tempfile.mkdtemp(prefix="acorn-bench-e2e-"))
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = None
    try:
        (home / "partners").mkdir()
        profile = (ROOT / "partners" / "amazon-us.yaml").read_text(encoding="utf-8")
        head, _, _rest = profile.partition("\nmailboxes:")
        tail = _rest[_rest.index("\nmappings:") :]
        (home / "partners" / "amazon-us.yaml").write_text(
            head + PARTNER_WITH_TWO_BOXES + tail, encoding="utf-8"
        )
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
        Runtime.open(home / "config.yaml").close()
        for i, data in enumerate(payloads):
            inbox = home / "run" / ("a" if i % 2 else "b") / "inbox"
            inbox.mkdir(parents=True, exist_ok=True)
            (inbox / f"po_{i}.edi").write_bytes(data)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "ACORN_CONFIG": str(home / "config.yaml")}
        start = time.perf_counter()
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "gateway", "run", "--once"],
                env=env,
                cwd=home,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(workers)
        ]
        for proc in procs:
            proc.wait()
        elapsed = time.perf_counter() - start
        left = sum(1 for _ in (home / "run").glob("*/inbox/*"))
        assert left == 0, f"{left} files left in the inboxes"
        return elapsed
    finally:
        shutil.rmtree(home, ignore_errors=True)
        if admin is not None:
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()


if __name__ == "__main__":
    main()
