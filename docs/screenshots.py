"""Screenshots of the console's dashboard and business page for docs/console.md.

Builds a demo gateway in a temporary folder (the ``acorn demo`` files ingested through the
real pipeline, then 30 days of synthetic history written straight to the store: messages and
failures per partner, discrepancies with money at risk and shortages at three FCs, invoices,
shipments and returns), serves the console on 127.0.0.1 with werkzeug, logs in through the
form with Playwright and Debian's chromium, and writes ``docs/img/{dashboard,business}-{1400,800}.png``.

Usage: ``.venv/bin/python docs/screenshots.py [--out docs/img]``.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import threading
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gateway.cli.runtime_cmds import DEMO_FILES  # noqa: E402
from gateway.config import load_settings  # noqa: E402
from gateway.console import create_app  # noqa: E402
from gateway.service import pipeline  # noqa: E402
from gateway.service.runtime import Runtime  # noqa: E402
from gateway.store import session_scope  # noqa: E402
from gateway.store.models import Discrepancy, Document, DocumentLine, Message, User, utcnow  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "screenshots only"
PARTNERS = ("amazon-us", "amazon-eu", "warehouse")
FCS = ("ABE2", "SEA6", "DTM1")
SKUS = ("ACME-MUG-11", "ACME-TEA-40", "ACME-PAN-28", "ACME-KNF-08")


def _home(root: Path) -> Path:
    shutil.copytree(ROOT / "partners", root / "partners")
    shutil.copytree(ROOT / "mappings", root / "mappings")
    config = root / "config.yaml"
    config.write_text(
        "database_url: sqlite:///acorn.sqlite3\narchive_dir: archive\npartners_dir: partners\n"
        "mappings_dir: mappings\n",
        encoding="utf-8",
    )
    return config


def _history(runtime: Runtime, rng: random.Random) -> None:
    today = utcnow().date()
    with session_scope(runtime.engine) as s:
        for back in range(29, -1, -1):
            day = today - timedelta(days=back)
            at = datetime.combine(day, time(9), UTC)
            for partner in PARTNERS:
                for _ in range(rng.randint(3, 12)):
                    state = "failed" if rng.random() < 0.08 else "done"
                    s.add(Message(direction="in", partner=partner, sha256="0" * 64, archive_path="demo",
                                  state=state, created_at=at, updated_at=at))  # fmt: skip
            if back % 3 == 0:
                po = f"DEMO{back:04d}"
                doc = Document(partner="amazon-us", type="purchase_order", business_key=po, po_number=po,
                               document_date=day, data={"ship_to_location": FCS[back % 3]})  # fmt: skip
                s.add(doc)
                s.flush()
                for n, sku in enumerate(SKUS, 1):
                    s.add(DocumentLine(document_id=doc.id, line_no=str(n), vendor_sku=sku,
                                       quantity=Decimal(rng.randint(12, 96))))  # fmt: skip
                kind = "shortage" if back % 2 == 0 else "price_mismatch"
                resolved = back > 12 and back % 4 == 0
                s.add(Discrepancy(key=f"demo:{po}", partner="amazon-us", kind=kind, po_number=po,
                                  line_no=str(1 + back % 4), currency="USD",
                                  amount_at_risk=Decimal(rng.randint(20, 400)), created_at=at, updated_at=at,
                                  status="resolved" if resolved else "open",
                                  resolved_at=at + timedelta(days=5) if resolved else None))  # fmt: skip
                for kind_, qty in (("shipment", 48), ("return_authorization", rng.randint(0, 6))):
                    d = Document(
                        partner="amazon-us", type=kind_, business_key=f"{kind_}:{po}", document_date=day
                    )
                    s.add(d)
                    s.flush()
                    s.add(DocumentLine(document_id=d.id, line_no="1", vendor_sku=SKUS[back % 4],
                                       quantity=Decimal(qty)))  # fmt: skip
                s.add(Document(partner="amazon-us", type="invoice", business_key=f"INV-{po}",
                               status=rng.choice(["sent", "accepted", "draft", "blocked"]), currency="USD",
                               total=Decimal(rng.randint(200, 2000)), data={"kind": "invoice"}))  # fmt: skip
        s.add(User(username="admin", password_hash=generate_password_hash(PASSWORD), role="admin"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        config = _home(Path(tmp))
        runtime = Runtime.open(config, settings=load_settings(config, env={}))
        try:
            for partner, names in DEMO_FILES.items():
                for name in names:
                    data = (ROOT / "tests" / "data" / "messages" / name).read_bytes()
                    pipeline.ingest(runtime, data, name, partner=partner, mailbox="local")
            _history(runtime, random.Random(19))
            app = create_app(runtime, {"SECRET_KEY": "screenshots"})
            httpd = make_server("127.0.0.1", 0, app, threaded=True)
            threading.Thread(target=httpd.serve_forever, daemon=True).start()
            base = f"http://127.0.0.1:{httpd.server_port}"
            args.out.mkdir(parents=True, exist_ok=True)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                            args=["--no-sandbox", "--disable-gpu"])  # fmt: skip
                for width in (1400, 800):
                    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
                    page.goto(base + "/login")
                    page.get_by_label("User").fill("admin")
                    page.get_by_label("Password").fill(PASSWORD)
                    page.get_by_role("button", name="Log in").click()
                    for name, path in (("dashboard", "/"), ("business", "/business")):
                        page.goto(base + path)
                        page.wait_for_load_state("networkidle")
                        target = args.out / f"{name}-{width}.png"
                        page.screenshot(path=str(target), full_page=True)
                        print(target)
                browser.close()
            httpd.shutdown()
        finally:
            runtime.close()


if __name__ == "__main__":
    main()
