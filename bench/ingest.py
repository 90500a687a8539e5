"""Ingest benchmark: the whole pipeline vs. its parts, on the same 850 purchase orders, in one run.

Columns, each on the same N distinct X12 850 files:

- ``parse``: our reader only (the syntax-layer floor);
- ``parse+translate``: reader + mapping into the canonical PurchaseOrder, in memory;
- ``pipeline``: ``gateway.pipeline.ingest`` on a real SQLite file and archive: fsynced archive
  write, message row, duplicate check, 997 queued, translate, document stored, every stage
  committed (what a mailbox poll does per file).

Prints messages per second and the pipeline's cost relative to the in-memory work.
Usage: ``python bench/ingest.py [N]`` (default 300).
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway import pipeline  # noqa: E402
from gateway.edi import parse  # noqa: E402
from gateway.mapping.registry import MappingRegistry  # noqa: E402
from gateway.runtime import Runtime  # noqa: E402

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


if __name__ == "__main__":
    main()
