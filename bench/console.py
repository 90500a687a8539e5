"""Console benchmark: the message list, a search by PO number and the message detail page,
with 1,000,000 messages in the store, on SQLite and on PostgreSQL. Target: p95 under 200 ms.

The store is filled in bulk (``executemany`` on SQLite, ``COPY`` on PostgreSQL) after the
schema is created by the migrations, so the console sees exactly the production indexes:

- 1,000,000 messages over a year (ids grow with ``created_at``), three partners, 95 % done,
  3 % failed, 1 % duplicate, 1 % outbound queued; a quarter are 850s, each with its purchase
  order document, one line and the document-message link (250,000 of each);
- every message points at one of a few real archived payloads, so the detail page reads,
  splits and parses real bytes.

Each page is requested through Flask's test client as a logged-in viewer (the full request:
session, queries, template); the table gives median and p95 in milliseconds per backend.
PostgreSQL runs in a database created for the run and dropped after it (URL from
``ACORN_TEST_DATABASE_URL``, default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``).

Usage: ``python bench/console.py [--rows N] [--requests N] [--backends sqlite,postgresql]``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from gateway.config import load_settings  # noqa: E402
from gateway.console import create_app  # noqa: E402
from gateway.console.users import session_stamp  # noqa: E402
from gateway.service.runtime import Runtime  # noqa: E402
from gateway.store import Archive, session_scope  # noqa: E402
from gateway.store.models import User  # noqa: E402

SAMPLES = ROOT / "tests" / "data" / "messages"
PAYLOADS = [
    "x12_4010_850_new_po.edi",
    "x12_4010_850_case_pack.edi",
    "x12_4010_856_items_after_packs.edi",
    "x12_4010_810_invoice.edi",
    "edifact_d96a_orders_po.edi",
    "bad_x12_850_se_count.edi",
]
PARTNERS = [("amazon-us", 50), ("warehouse", 30), ("amazon-eu", 20)]
START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=365)
YEAR_SECONDS = 365 * 86400
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def po_number(i: int) -> str:
    return f"P{i:09d}"


def rows(n: int, shas: list[str]) -> Iterator[tuple]:
    """(id, partner, direction, filename, sha, state, types, control, created, error) per message."""
    rnd = random.Random(7)
    weights = [w for _, w in PARTNERS]
    names = [p for p, _ in PARTNERS]
    step = YEAR_SECONDS / n
    for i in range(1, n + 1):
        partner = rnd.choices(names, weights)[0]
        roll = rnd.random()
        kind = i % 4  # 0: 850 with a PO document
        doc_type = ("850", "856", "810", "997")[kind]
        if roll < 0.03:
            state, sha, error = "failed", shas[-1], "SE01 says '12' but there are 10 segments ST..SE"
        elif roll < 0.04:
            state, sha, error = "duplicate", shas[kind % (len(shas) - 1)], None
        else:
            state, sha, error = "done", shas[kind % (len(shas) - 1)], None
        direction = "in"
        if roll > 0.99:
            direction, state = "out", "queued"
        created = START + timedelta(seconds=i * step)
        yield (
            i,
            partner,
            direction,
            f"{partner}-{i}.edi",
            sha,
            state,
            [doc_type],
            f"{i:09d}",
            created,
            error,
        )


def _ts_sqlite(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


MESSAGE_COLUMNS = (
    "id, direction, partner, mailbox, filename, size, sha256, archive_path, standard, interchange_control, "
    "group_controls, transaction_controls, document_types, state, error_stage, error_code, error_message, "
    "error_position, attempts, legal_hold, created_at, updated_at"
)


def _message_values(row: tuple, ts: Callable[[datetime], str]) -> tuple:
    i, partner, direction, filename, sha, state, types, control, created, error = row
    failed = state == "failed"
    return (
        i, direction, partner, "local", filename, 561, sha, f"{sha[:2]}/{sha[2:4]}/{sha}", "x12", control,
        json.dumps([control[-4:]]), json.dumps(["0001"]), json.dumps(types), state,
        "envelope" if failed else None, "X12_SE_COUNT_MISMATCH" if failed else None, error,
        json.dumps({"interchange": 1, "group": 1, "transaction": 1, "segment": 12, "tag": "SE", "element": 1})
        if failed else None,
        0, False, ts(created), ts(created),
    )  # fmt: skip


def _documents(row: tuple, ts: Callable[[datetime], str]) -> tuple | None:
    i, partner, _d, _f, _s, state, types, _c, created, _e = row
    if types != ["850"] or state != "done":
        return None
    po = po_number(i)
    data = json.dumps({"po_number": po, "lines": [{"line_no": "1", "quantity": "12"}]})
    return (
        (i, partner, "purchase_order", po, 1, data, po, created.date().isoformat(), "USD", ts(created), ts(created), i),
        (i, "1", po, "B0B9SHD3N1", "12", "EA"),
        (i, i, "source", ts(created)),
    )  # fmt: skip


DOC_COLUMNS = (
    "id, partner, type, business_key, revision, data, po_number, document_date, currency, created_at, "
    "updated_at, source_message_id"
)
LINE_COLUMNS = "document_id, line_no, po_number, asin, quantity, uom"
LINK_COLUMNS = "document_id, message_id, role, created_at"


BATCH = 50_000


def batches(
    n: int, shas: list[str], ts: Callable[[datetime], str]
) -> Iterator[tuple[list, list, list, list]]:
    """The rows to load, ``BATCH`` messages at a time: (messages, documents, lines, links)."""
    batch: list[tuple] = []
    docs: list[tuple] = []
    lines: list[tuple] = []
    links: list[tuple] = []
    for row in rows(n, shas):
        batch.append(_message_values(row, ts))
        extra = _documents(row, ts)
        if extra:
            docs.append(extra[0])
            lines.append(extra[1])
            links.append(extra[2])
        if len(batch) >= BATCH:
            yield batch, docs, lines, links
            batch, docs, lines, links = [], [], [], []
    yield batch, docs, lines, links


def fill_sqlite(path: Path, n: int, shas: list[str]) -> None:
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    for batch, docs, lines, links in batches(n, shas, _ts_sqlite):
        conn.executemany(f"INSERT INTO messages ({MESSAGE_COLUMNS}) VALUES ({','.join('?' * 22)})", batch)
        conn.executemany(f"INSERT INTO documents ({DOC_COLUMNS}) VALUES ({','.join('?' * 12)})", docs)
        conn.executemany(f"INSERT INTO document_lines ({LINE_COLUMNS}) VALUES (?,?,?,?,?,?)", lines)
        conn.executemany(f"INSERT INTO document_messages ({LINK_COLUMNS}) VALUES (?,?,?,?)", links)
    conn.commit()
    conn.close()


def _copy(cursor, table: str, columns: str, values: list[tuple]) -> None:
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for value in values:
            copy.write_row(value)


def fill_postgresql(url: str, n: int, shas: list[str]) -> None:
    import psycopg

    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain) as conn, conn.cursor() as cur:
        for batch, docs, lines, links in batches(n, shas, datetime.isoformat):
            _copy(cur, "messages", MESSAGE_COLUMNS, batch)
            _copy(cur, "documents", DOC_COLUMNS, docs)
            _copy(cur, "document_lines", LINE_COLUMNS, lines)
            _copy(cur, "document_messages", LINK_COLUMNS, links)
        for table in ("messages", "documents", "document_lines", "document_messages"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                        if table != "document_messages" else "SELECT 1")  # fmt: skip
        conn.commit()
        conn.autocommit = True
        cur.execute("VACUUM ANALYZE")


def measure(fn: Callable[[], object], count: int) -> tuple[float, float]:
    fn()  # warm
    times = []
    for _ in range(count):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    return statistics.median(times), p95


def run_backend(name: str, url: str, home: Path, n: int, requests: int) -> list[tuple[str, float, float]]:
    config = home / "config.yaml"
    shutil.copytree(ROOT / "partners", home / "partners", dirs_exist_ok=True)
    shutil.copytree(ROOT / "mappings", home / "mappings", dirs_exist_ok=True)
    config.write_text(f"database_url: {url}\narchive_dir: archive\n", encoding="utf-8")
    runtime = Runtime.open(config, settings=load_settings(config, env={}))
    archive = Archive(home / "archive")
    shas = [archive.store((SAMPLES / p).read_bytes()).sha256 for p in PAYLOADS]
    started = time.perf_counter()
    if name == "sqlite":
        fill_sqlite(Path(make_url(runtime.settings.database_url).database or ""), n, shas)
    else:
        fill_postgresql(url, n, shas)
    print(f"{name}: {n:,} messages loaded in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    with session_scope(runtime.engine) as session:
        user = User(username="bench", password_hash="scrypt:unused", role="viewer")
        session.add(user)
        session.flush()
        user_id, stamp = user.id, session_stamp(user)
    app = create_app(runtime, {"SECRET_KEY": "bench", "TESTING": True})
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["user_id"], sess["stamp"] = user_id, stamp
    rnd = random.Random(11)
    po_ids = [i for i in range(4, n + 1, 4)]

    def random_day() -> str:
        return (START + timedelta(days=rnd.randint(1, 364))).date().isoformat()

    def get(path: Callable[[], str]) -> Callable[[], object]:
        def call() -> object:
            response = client.get(path())
            assert response.status_code == 200, (path(), response.status_code)
            return response

        return call

    cases = [
        ("message list, newest", get(lambda: "/messages")),
        ("message list, deep page", get(lambda: f"/messages?before={rnd.randint(2, n)}")),
        ("list: failed of a partner", get(lambda: "/messages?state=failed&partner=amazon-us")),
        ("list: done of a partner", get(lambda: "/messages?state=done&partner=warehouse")),
        ("list: outbound (1%)", get(lambda: "/messages?direction=out")),
        ("list: a type none has", get(lambda: "/messages?type=180")),
        ("list: failed 810s", get(lambda: "/messages?state=failed&type=810")),
        ("list: 856s of a partner", get(lambda: "/messages?partner=warehouse&type=856")),
        ("list: duplicate 850s, EU", get(lambda: "/messages?state=duplicate&partner=amazon-eu&type=850")),
        ("list: 810s of one day", get(lambda: "/messages?type=810&since={0}&until={0}".format(random_day()))),
        ("list: one day", get(lambda: "/messages?since={0}&until={0}".format(random_day()))),
        ("search by PO number", get(lambda: f"/messages?q={po_number(rnd.choice(po_ids))}")),
        ("message detail", get(lambda: f"/messages/{rnd.randint(1, n)}")),
        ("API message list", get(lambda: "/api/messages?state=failed")),
        ("dashboard", get(lambda: "/")),
    ]  # fmt: skip
    results = []
    for label, fn in cases:
        median, p95 = measure(fn, requests)
        results.append((label, median, p95))
        print(f"  {name:<10} {label:<28} median {median:7.1f} ms   p95 {p95:7.1f} ms", file=sys.stderr)
    runtime.close()
    return results


def postgres_database() -> tuple[str, Callable[[], None]]:
    base = os.environ.get("ACORN_TEST_DATABASE_URL", PG_DEFAULT)
    name = f"acorn_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()

    return make_url(base).set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    table: dict[str, list[tuple[str, float, float]]] = {}
    for backend in args.backends.split(","):
        home = Path(tempfile.mkdtemp(prefix=f"acorn-bench-console-{backend}-"))
        drop: Callable[[], None] = lambda: None  # noqa: E731
        try:
            if backend == "sqlite":
                url = f"sqlite:///{home / 'acorn.sqlite3'}"
            else:
                url, drop = postgres_database()
            table[backend] = run_backend(backend, url, home, args.rows, args.requests)
        finally:
            drop()
            shutil.rmtree(home, ignore_errors=True)
    backends = list(table)
    out = io.StringIO()
    out.write(f"\nConsole with {args.rows:,} messages, {args.requests} requests per case (ms)\n\n")
    header = "| case | " + " | ".join(f"{b} median | {b} p95" for b in backends) + " |"
    out.write(header + "\n|" + "---|" * (1 + 2 * len(backends)) + "\n")
    for index, (label, _m, _p) in enumerate(table[backends[0]]):
        cells = " | ".join(f"{table[b][index][1]:.1f} | {table[b][index][2]:.1f}" for b in backends)
        out.write(f"| {label} | {cells} |\n")
    worst = max(p for b in backends for _l, _m, p in table[b])
    out.write(f"\nworst p95: {worst:.1f} ms (target < 200 ms): {'met' if worst < 200 else 'NOT met'}\n")
    print(out.getvalue())


if __name__ == "__main__":
    main()
