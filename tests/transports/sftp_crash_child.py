"""A tiny stand-in for the pipeline, run as a separate process by test_sftp.py so the test can
kill -9 it between steps: list -> fetch -> record (sha256) in SQLite, committed -> acknowledge.

Usage: sftp_crash_child.py MAILBOX_JSON DB SPOOL CRASH_AT; CRASH_AT is after_fetch, after_commit
or never. At the crash point it prints ``CRASH-POINT <where>`` and waits to be killed.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
import time
from pathlib import Path

from gateway.config.partners import SftpMailbox as SftpConfig
from gateway.transports.sftp import SftpMailbox


def crash_point(where: str, crash_at: str) -> None:
    if where == crash_at:
        print(f"CRASH-POINT {where}", flush=True)
        while True:
            time.sleep(60)


def main() -> None:
    config_path, db_path, spool, crash_at = sys.argv[1:5]
    config = SftpConfig.model_validate_json(Path(config_path).read_text())
    db = sqlite3.connect(db_path)
    db.execute("CREATE TABLE IF NOT EXISTS messages (name TEXT, sha256 TEXT, UNIQUE (name, sha256))")
    db.commit()
    report: dict[str, list[str]] = {"ingested": [], "duplicates": []}
    with SftpMailbox("warehouse", config) as box:
        for item in box.list_ready():
            local = Path(spool) / item.name
            box.fetch(item, local)
            crash_point("after_fetch", crash_at)
            digest = hashlib.sha256(local.read_bytes()).hexdigest()
            known = db.execute(
                "SELECT 1 FROM messages WHERE name = ? AND sha256 = ?", (item.name, digest)
            ).fetchone()
            if known:
                report["duplicates"].append(item.name)
            else:
                db.execute("INSERT INTO messages VALUES (?, ?)", (item.name, digest))
                db.commit()
                report["ingested"].append(item.name)
            crash_point("after_commit", crash_at)
            box.acknowledge(item)
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
