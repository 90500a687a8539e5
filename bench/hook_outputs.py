"""What the hooks wrote, as text: to compare two trees' outputs for the same files (not a timing).

``bench/ingest.py``'s N files go through one in-process ``run_once`` on a fresh SQLite home (as
``bench/hooks.py`` runs them), then every row the pipeline and its hooks wrote is printed in id
order (messages with their sha256, documents with their data, checks, discrepancies, the audit
log, invoice number uses, ship notices with their labels' key, SSCC uses, links, the timeline),
and each archived payload's key and size. Outbound bytes carry the time of day, so run both trees
under one frozen start (``faketime``), and mask the seconds in file names and the home's name::

    FAKETIME_DONT_FAKE_MONOTONIC=1 faketime '2026-12-04 12:00:00' python bench/hook_outputs.py 60 > a.txt
    (the same from the other tree) > b.txt
    diff <(sed -E 's/202612041200[0-9]{2}/T/g; s/acorn-bench-ingest-\\w+/HOME/g' a.txt) <(... b.txt)

Usage: ``python bench/hook_outputs.py [N]`` (default 60).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest import files, home_for  # noqa: E402

#: (table, columns, order) printed
TABLES: tuple[tuple[str, str, str], ...] = (
    (
        "messages",
        "id, direction, partner, filename, sha256, state, document_types, interchange_control, "
        "transaction_controls",
        "id",
    ),
    ("documents", "id, partner, type, business_key, revision, status, data, po_number, total", "id"),
    ("document_lines", "document_id, line_no, po_number, quantity, uom, unit_price", "id"),
    ("invoice_checks", "document_id, reasons, approved_by", "document_id"),
    ("discrepancies", "key, partner, kind, severity, status, expected, actual, amount_at_risk", "id"),
    ("audit_log", "actor, action, target_type, target_id, reason, detail", "id"),
    ("invoice_number_uses", "invoice_number, fingerprint, partner, document_id, kind", "id"),
    (
        "ship_notices",
        "partner, shipment_id, source_shipment_id, po_numbers, status, reasons, message_id, labels_key",
        "id",
    ),
    ("sscc_uses", "partner, sscc, shipment_id", "id"),
    ("document_messages", "document_id, message_id, role", "document_id, message_id, role"),
    ("message_events", "message_id, state, note", "id"),
)


def main() -> None:
    from sqlalchemy import text

    from gateway.service.runtime import Runtime
    from gateway.service.scheduler import run_once

    logging.basicConfig(level=logging.ERROR)
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    with home_for(None) as home:
        os.chdir(home)
        for partner, name, data in files(n):
            inbox = home / "run" / "mailboxes" / partner / "inbox"
            inbox.mkdir(parents=True, exist_ok=True)
            (inbox / name).write_bytes(data)
        runtime = Runtime.open(home / "config.yaml")
        try:
            print(run_once(runtime))
            with runtime.engine.connect() as conn:
                for table, columns, order in TABLES:
                    rows = conn.execute(text(f"SELECT {columns} FROM {table} ORDER BY {order}")).all()
                    print(f"== {table}: {len(rows)}")
                    for row in rows:
                        print(tuple(row))
            blobs = (p for p in (home / "archive").rglob("*") if p.is_file() and not p.name.startswith("."))
            for path in sorted(blobs, key=lambda p: p.name):
                print("payload", path.name, path.stat().st_size)
        finally:
            runtime.close()


if __name__ == "__main__":
    main()
