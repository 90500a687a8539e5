"""``acorn ingest`` of an X12 850 on SQLite imports only what it runs (issue 15: its peak RSS).

Imports were most of what ``acorn ingest`` held (about 80 MiB of 135 above a bare interpreter,
docs/performance.md): Alembic with Mako and Pygments on every start, the label PDF library,
lxml, pydifact, the scheduler, AS2 and SFTP. Each is now imported where it is used; this test
runs the command in a fresh interpreter (a gateway home with the shipped partner profiles and
mappings, its database already at head) and checks that none of them was loaded, so a new
top-level import cannot quietly bring them back. Nor are the hooks an 850 does not run
(settlement acts on remittances and returns, the automatic ship notice on shipments:
``Hook.types`` in :mod:`gateway.service.hooks`).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "data" / "messages" / "x12_4010_850_new_po.edi"
#: what an X12 850 on SQLite does not need: migrations (the database is at head), labels, XML,
#: EDIFACT writing, the scheduler, the transports, the console, e-mail, the hooks of other types
HEAVY = (
    "alembic", "mako", "pygments", "reportlab", "PIL", "lxml", "pydifact", "apscheduler",
    "pyas2lib", "oscrypto", "cryptography", "paramiko", "flask", "werkzeug", "waitress", "smtplib",
    "gateway.settlement", "gateway.shipping.auto",
)  # fmt: skip
PROBE = """
import json, sys
from gateway.cli import main
sys.argv, code = ["acorn", *sys.argv[1:]], 0
try:
    main()
except SystemExit as exc:
    code = exc.code
print(json.dumps({"exit": code, "loaded": sorted(m for m in %r if m in sys.modules)}))
"""


def test_ingest_of_an_850_loads_no_heavy_library(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        f"database_url: sqlite:///{tmp_path / 'acorn.sqlite3'}\narchive_dir: {tmp_path / 'archive'}\n"
        f"partners_dir: {ROOT / 'partners'}\nmappings_dir: {ROOT / 'mappings'}\n"
        "logging:\n  level: WARNING\n",
        encoding="utf-8",
    )
    acorn = [sys.executable, "-m", "gateway", "--config", str(config)]
    subprocess.run([*acorn, "db", "upgrade"], check=True, capture_output=True, cwd=tmp_path)
    run = subprocess.run(
        [sys.executable, "-c", PROBE % (HEAVY,), "--config", str(config), "ingest", str(SAMPLE)],
        check=True, capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert "message 1: done" in run.stdout, run.stdout + run.stderr
    outcome = json.loads(run.stdout.strip().splitlines()[-1])
    assert outcome == {"exit": 0, "loaded": []}
