"""Console fixtures: a gateway home in tmp_path (config, partners, a mappings copy, SQLite file),
the Flask app over it, users of each role, and helpers to log in and post forms with CSRF tokens.

Most tests log in by writing the session directly (a scrypt check costs a fifth of a second);
the login tests post the real form.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from sqlmodel import select
from werkzeug.security import generate_password_hash

from gateway.config import load_settings
from gateway.console import create_app, sessions, users
from gateway.service.runtime import Runtime
from gateway.store import make_engine, session_scope, upgrade_database
from gateway.store.models import User
from tests.conftest import BACKENDS, DATA_DIR, PROJECT_ROOT, copy_partners
from tests.conftest import pg_schema as shared_pg_schema

MESSAGES = DATA_DIR / "messages"
PASSWORD = "correct horse battery"
ROLES = ("viewer", "operator", "admin")
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_home(root: Path, database_url: str | None = None) -> Path:
    """A gateway home under ``root`` with partners/ and a copy of mappings/; returns config.yaml."""
    root.mkdir(parents=True, exist_ok=True)
    copy_partners(root / "partners")
    shutil.copytree(PROJECT_ROOT / "mappings", root / "mappings")
    url = database_url or "sqlite:///acorn.sqlite3"
    config = root / "config.yaml"
    config.write_text(
        f"database_url: {url}\narchive_dir: archive\npartners_dir: partners\nmappings_dir: mappings\n",
        encoding="utf-8",
    )
    return config


def open_runtime(config: Path) -> Runtime:
    return Runtime.open(config, settings=load_settings(config, env={}))


@pytest.fixture(scope="session")
def password_hash() -> str:
    return generate_password_hash(PASSWORD)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return make_home(tmp_path / "gw").parent


@pytest.fixture
def runtime(home: Path) -> Iterator[Runtime]:
    rt = open_runtime(home / "config.yaml")
    yield rt
    rt.close()


@pytest.fixture
def accounts(runtime: Runtime, password_hash: str) -> dict[str, int]:
    """One enabled user per role (named after it) and a disabled one; name -> id."""
    ids = {}
    with session_scope(runtime.engine) as session:
        for role in ROLES:
            user = User(username=role, password_hash=password_hash, role=role)
            session.add(user)
            session.flush()
            ids[role] = int(user.id)
        off = User(username="retired", password_hash=password_hash, role="admin", disabled=True)
        session.add(off)
        session.flush()
        ids["retired"] = int(off.id)
    return ids


@pytest.fixture
def app(runtime: Runtime, accounts: dict[str, int]) -> Flask:
    return create_app(runtime, {"TESTING": True, "SECRET_KEY": "test-secret-not-for-production"})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def login_as(client: FlaskClient, runtime: Runtime, username: str) -> None:
    """Log ``username`` in by writing the session cookie as the login view does."""
    with session_scope(runtime.engine) as session:
        token = sessions.start(session, users.get_user(session, username), timedelta(hours=1))
    with client.session_transaction() as sess:
        sess["sid"] = token


def csrf_token(client: FlaskClient, path: str = "/") -> str:
    """The CSRF token of the session, read from a page's form."""
    page = client.get(path)
    match = _CSRF.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path} ({page.status_code})"
    return match.group(1)


def post_form(client: FlaskClient, path: str, data: dict[str, str], token_from: str = "/", **kw):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, token_from)}, **kw)


def sample(name: str) -> bytes:
    return (MESSAGES / name).read_bytes()


@pytest.fixture
def seeded(runtime: Runtime, accounts: dict[str, int]) -> dict[str, int | str]:
    """Real messages through the pipeline (a PO, an ASN, a failed file), plus a discrepancy,
    an invoice document and a mailbox status row written directly."""
    from datetime import timedelta
    from decimal import Decimal

    from gateway.service import pipeline
    from gateway.store.models import Discrepancy, Document, MailboxStatus, utcnow

    po = pipeline.ingest(runtime, sample("x12_4010_850_new_po.edi"), "po-4TQ8ZK2M.edi", mailbox="local")
    asn = pipeline.ingest(runtime, sample("x12_4010_856_items_after_packs.edi"), "asn.edi", mailbox="local")
    bad = pipeline.ingest(runtime, sample("bad_x12_850_se_count.edi"), "bad-count.edi", mailbox="local")
    with session_scope(runtime.engine) as session:
        session.add(
            Discrepancy(
                key="shortage:4TQ8ZK2M:1", partner="amazon-us", kind="shortage", po_number="4TQ8ZK2M",
                line_no="1", expected="10", actual="8", amount_at_risk=Decimal("12.50"), currency="USD",
            )
        )  # fmt: skip
        invoice = Document(
            partner="amazon-us", type="invoice", business_key="ACME-SEED-000001", status="blocked",
            po_number="4TQ8ZK2M", invoice_number="ACME-SEED-000001", currency="USD", total=Decimal("99.00"),
            data={"invoice_number": "ACME-SEED-000001"},
        )  # fmt: skip
        session.add(invoice)
        now = utcnow()
        session.add(
            MailboxStatus(
                partner="amazon-us", mailbox="local", last_poll_at=now, last_success_at=now,
                next_run_at=now + timedelta(seconds=10), last_duration_ms=42, polls=7, errors=1, received=3,
                last_error="connection refused <b>",
            )
        )  # fmt: skip
        session.flush()
        invoice_id = int(invoice.id)
        document_id = int(
            session.exec(
                select(Document.id).where(Document.po_number == "4TQ8ZK2M", Document.type == "purchase_order")
            ).one()
        )
    return {
        "po_message": po.message_id,
        "asn_message": asn.message_id,
        "failed_message": bad.message_id,
        "po_number": "4TQ8ZK2M",
        "document": document_id,
        "invoice": invoice_id,
    }


BROKEN_DATE = 'convert: "date(YYMMDD)", required: true'
GOOD_DATE = 'convert: "date(CCYYMMDD)", required: true'


def break_mapping(runtime: Runtime) -> str:
    """Make the 850 mapping of this runtime's mappings copy read BEG05 with the wrong date format;
    return the original text (write it back to fix the mapping)."""
    path = runtime.settings.mappings_dir / "x12-004010-850-in.yaml"
    original = path.read_text(encoding="utf-8")
    assert GOOD_DATE in original
    path.write_text(original.replace(GOOD_DATE, BROKEN_DATE), encoding="utf-8")
    return original


def fix_mapping(runtime: Runtime, original: str) -> None:
    (runtime.settings.mappings_dir / "x12-004010-850-in.yaml").write_text(original, encoding="utf-8")


def pg_schema() -> AbstractContextManager[str]:
    """A fresh PostgreSQL schema for a console test (see :func:`tests.conftest.pg_schema`)."""
    return shared_pg_schema("console")


@pytest.fixture(params=BACKENDS)
def store_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty store on each backend."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
        else:
            url = stack.enter_context(pg_schema())
        engine = make_engine(url)
        upgrade_database(url, engine)
        stack.callback(engine.dispose)
        yield engine
