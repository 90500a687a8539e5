"""Send benchmark: the cost of the re-check at send (``gateway.invoicing.at_send``) per message.

Builds, in a fresh SQLite file, ``--n`` POs each with an ASN whose automatic invoice is queued
(partner ``amazon-us``, X12 810, a local-folder mailbox), twice: one set is sent with
:func:`gateway.service.mailboxes.send_due` as it runs (every message re-checked against the store
and read back before it leaves), the other with the re-check switched off. Prints the wall-clock
milliseconds per message of each and the difference (the re-check's cost).

Usage: ``python bench/send_recheck.py [--n 200]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gateway.invoicing import on_documents_stored  # noqa: E402
from gateway.service import mailboxes, money  # noqa: E402
from gateway.store import session_scope, upgrade_database  # noqa: E402
from tests.money.conftest import asn, open_runtime, po, store  # noqa: E402

DAY = date(2026, 1, 16)


def _queue(runtime, prefix: str, n: int) -> None:
    for i in range(n):
        number = f"{prefix}{i:07d}"  # 8 alphanumerics, as Amazon numbers POs
        with session_scope(runtime.engine) as session:
            store(session, "amazon-us", po(number))
            row = store(session, "warehouse", asn(f"ASN-{number}", {"1": 24, "2": 48}, po_number=number))
            on_documents_stored(
                session, runtime.partners, runtime.mappings, runtime.archive, [row], today=DAY
            )


def _send(runtime) -> tuple[float, int]:
    started = time.perf_counter()
    summary = mailboxes.send_due(runtime)
    return time.perf_counter() - started, summary.sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)  # the local mailboxes' relative folders
        url = f"sqlite:///{Path(tmp) / 'acorn.sqlite3'}"
        upgrade_database(url)
        runtime = open_runtime(Path(tmp), url)
        try:
            _queue(runtime, "A", args.n)
            with_check, sent_a = _send(runtime)
            _queue(runtime, "B", args.n)
            original = money.held_at_send
            money.held_at_send = lambda *a, **k: False  # type: ignore[assignment]
            try:
                without, sent_b = _send(runtime)
            finally:
                money.held_at_send = original
        finally:
            runtime.close()
    per_with, per_without = with_check / sent_a * 1000, without / sent_b * 1000
    print(f"messages: {sent_a} with the re-check, {sent_b} without")
    print(f"send with re-check:    {per_with:7.2f} ms/message")
    print(f"send without re-check: {per_without:7.2f} ms/message")
    print(f"re-check cost:         {per_with - per_without:7.2f} ms/message ({per_with / per_without:.2f}x)")


if __name__ == "__main__":
    main()
