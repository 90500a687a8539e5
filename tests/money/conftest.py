"""Money fixtures: a migrated database (SQLite file; PostgreSQL when ACORN_TEST_DATABASE_URL is set),
partner profiles written to tmp_path, and builders of canonical documents for the scenarios.

Each PostgreSQL test gets a fresh schema (dropped afterwards) through the connection's
``search_path``, so tests never see each other's rows.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

import gateway.store.money  # noqa: F401  (register the money tables)
from gateway.canonical import Invoice, PurchaseOrder, ReturnAuthorization, Shipment
from gateway.config import PartnerDirectory, load_partners
from gateway.store import make_engine, upgrade_database
from gateway.store.documents import save_document
from gateway.store.models import Document
from tests.conftest import BACKENDS, NEEDS_PG, pg_schema

PG_SKIP = NEEDS_PG
ROOT = Path(__file__).resolve().parents[2]


_TEMPLATE: list[Path] = []


@pytest.fixture(scope="session", autouse=True)
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One migrated SQLite file per test session; each test gets a copy (migrating costs ~0.5 s)."""
    path = tmp_path_factory.mktemp("template") / "acorn.sqlite3"
    url = f"sqlite:///{path}"
    eng = make_engine(url)
    upgrade_database(url, eng)
    eng.dispose()
    _TEMPLATE[:] = [path]


def migrated_sqlite(dest: Path) -> str:
    """A copy of the migrated template at ``dest`` (a file path); its URL."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_TEMPLATE[0], dest)
    return f"sqlite:///{dest}"


def _url(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield migrated_sqlite(tmp_path / "acorn.sqlite3")
        return
    with pg_schema("m") as url:
        yield url


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    """A SQLite file database (a copy of the migrated template)."""
    yield from _url("sqlite", tmp_path)


@pytest.fixture(params=BACKENDS)
def any_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database on each backend: a migrated SQLite copy, an empty PostgreSQL schema (when configured)."""
    yield from _url(request.param, tmp_path)


def _engine(url: str) -> Iterator[Engine]:
    eng = make_engine(url)
    upgrade_database(url, eng)
    yield eng
    eng.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated SQLite database."""
    yield from _engine(db_url)


@pytest.fixture
def any_engine(any_db_url: str) -> Iterator[Engine]:
    """A migrated database on each backend."""
    yield from _engine(any_db_url)


@pytest.fixture
def pg_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated PostgreSQL schema (for what only PostgreSQL has; mark the test ``NEEDS_PG``)."""
    for url in _url("postgresql", tmp_path):
        yield from _engine(url)


PROFILES = {
    "amazon-us": """\
        name: amazon-us
        standard: x12
        version: "004010"
        identities: {x12: {isa_qualifier: ZZ, isa_id: AMAZON, gs_id: AMAZON}}
        our_identity: {x12: {isa_qualifier: ZZ, isa_id: ACMEVENDOR, gs_id: ACMEVENDOR}}
        mailboxes:
          - {name: local, type: local, inbox: mb/us/in, outbox: mb/us/out, processed: mb/us/done}
        invoice:
          vendor_code: ACMEV
          currency: USD
          remit_to: {id: ACMEV, id_qualifier: "92", name: ACME Vendor Inc., city: Seattle, country: US}
          bill_to: {id: AMAZON, id_qualifier: "92", name: Amazon.com Services LLC, country: US}
          terms: {type_code: "01", description: Net 60, net_days: 60}
          numbering: "ACME-{year}-{seq:06d}"
          mode: {mode}
          format: {format}
        rules:
          aging: {uninvoiced_days: 3, rejected_days: 1, delivery_grace_days: 0,
                  return_rate_threshold: 0.10, return_rate_min_units: 10}
        """,
    "amazon-eu": """\
        name: amazon-eu
        standard: edifact
        version: D96A
        identities: {edifact: {id: "5450534000000", qualifier: "14"}}
        our_identity: {edifact: {id: "4012345000009", qualifier: "14"}}
        mailboxes:
          - {name: local, type: local, inbox: mb/eu/in, outbox: mb/eu/out, processed: mb/eu/done}
        invoice:
          vendor_code: ACMEEU
          currency: EUR
          remit_to: {id: "4012345000009", id_qualifier: "9", name: ACME Europe GmbH, city: Berlin,
                     country: DE, tax_id: DE123456789}
          bill_to: {id: "5450534000000", id_qualifier: "9", name: Amazon EU Sarl, city: Luxembourg,
                    country: LU, tax_id: LU20260743}
          terms: {description: 60 days net, net_days: 60}
          tax: {type: VAT, rate_percent: 19, category: S}
          numbering: "ACME-EU-{year}-{seq:06d}"
          mode: manual
          format: edifact
        rules:
          invoice: {require_tax_registration: true, require_line_tax: true}
        """,
    "warehouse": """\
        name: warehouse
        standard: x12
        version: "004010"
        identities: {x12: {isa_qualifier: ZZ, isa_id: ACME3PL, gs_id: ACME3PL}}
        our_identity: {x12: {isa_qualifier: ZZ, isa_id: ACMEVENDOR, gs_id: ACMEVENDOR}}
        acks: {send: false, request: false}
        """,
    "erp": """\
        name: erp
        standard: x12
        version: "004010"
        identities: {x12: {isa_qualifier: ZZ, isa_id: ACMEERP, gs_id: ACMEERP}}
        our_identity: {x12: {isa_qualifier: ZZ, isa_id: ACMEGW, gs_id: ACMEGW}}
        acks: {send: false, request: false}
        """,
}


def write_partners(
    folder: Path, *, mode: str = "automatic", fmt: str = "x12", extra: dict[str, str] | None = None
) -> Path:
    """Write the test partner profiles to ``folder`` (created) and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in {**PROFILES, **(extra or {})}.items():
        body = body.replace("{mode}", mode).replace("{format}", fmt)
        (folder / f"{name}.yaml").write_text(textwrap.dedent(body), encoding="utf-8")
    return folder


@pytest.fixture
def partners(tmp_path: Path) -> PartnerDirectory:
    """amazon-us (X12, automatic), amazon-eu (EDIFACT, manual), warehouse and erp."""
    return load_partners(write_partners(tmp_path / "partners"))


# -- canonical document builders --------------------------------------------------------------------


PO = "4TQ8ZK2M"
ITEMS = {
    "1": {"asin": "B0C4LMP7Q2", "ean": "0840012345016", "vendor_sku": "ACM-LAMP-01"},
    "2": {"asin": "B0D2BLB6K8", "upc": "840012345023", "vendor_sku": "ACM-BULB-6P"},
    "3": {"asin": "B0B9SHD3N1", "vendor_sku": "ACM-SHADE-02"},
}
COSTS = {"1": "12.50", "2": "4.75", "3": "18.00"}
ORDERED = {"1": 24, "2": 48, "3": 12}


def po(
    number: str = PO,
    *,
    lines: dict[str, int] | None = None,
    order_date: date = date(2026, 1, 12),
    not_after: date | None = date(2026, 1, 26),
    fc: str = "ABE8",
    currency: str = "USD",
    **extra: Any,
) -> PurchaseOrder:
    """Amazon's PO 4TQ8ZK2M: lamp x24 @12.50, bulbs x48 @4.75, shade x12 @18."""
    lines = ORDERED if lines is None else lines
    return PurchaseOrder.model_validate(
        {
            "po_number": number,
            "order_date": order_date,
            "currency": currency,
            "ship_to_location": fc,
            "deliver_not_before": None,
            "deliver_not_after": not_after,
            "lines": [
                {"line_no": n, "item": ITEMS[n], "quantity": q, "uom": "EA", "unit_price": COSTS[n]}
                for n, q in lines.items()
            ],
            **extra,
        }
    )


def asn(
    shipment_id: str,
    lines: dict[str, int],
    *,
    po_number: str = PO,
    ship_date: date = date(2026, 1, 15),
    fc: str | None = "ABE8",
    packages: list[dict] | None = None,
    ids: str = "asin_ean",
    **extra: Any,
) -> Shipment:
    """A warehouse ASN shipping ``lines`` (PO line -> eaches) of PO ``po_number``."""

    def item(n: str) -> dict:
        full = ITEMS[n]
        return (
            {"asin": full["asin"]} if ids == "asin" else {k: v for k, v in full.items() if k != "vendor_sku"}
        )

    return Shipment.model_validate(
        {
            "shipment_id": shipment_id,
            "ship_date": ship_date,
            "ship_to_location": fc,
            "orders": [
                {
                    "po_number": po_number,
                    "lines": [
                        {"line_no": n, "item": item(n), "quantity": q, "uom": "EA"} for n, q in lines.items()
                    ],
                }
            ],
            "packages": packages or [],
            **extra,
        }
    )


def invoice(
    number: str,
    lines: dict[str, int],
    *,
    shipment_id: str | None = "ASN-1",
    po_number: str = PO,
    invoice_date: date = date(2026, 1, 16),
    prices: dict[str, str] | None = None,
    total: str | None = None,
    kind: str = "invoice",
    currency: str = "USD",
    **extra: Any,
) -> Invoice:
    """An invoice (as our ERP sends it) for ``lines`` (PO line -> eaches) at the PO cost unless ``prices``."""
    prices = {**COSTS, **(prices or {})}
    body = [
        {"line_no": n, "item": ITEMS[n], "quantity": q, "uom": "EA", "unit_price": prices[n]}
        for n, q in lines.items()
    ]
    computed = sum(Decimal(prices[n]) * q for n, q in lines.items())
    return Invoice.model_validate(
        {
            "invoice_number": number,
            "invoice_date": invoice_date,
            "kind": kind,
            "po_number": po_number,
            "shipment_id": shipment_id,
            "currency": currency,
            "lines": body,
            "total": total if total is not None else str(computed),
            **extra,
        }
    )


def rma(
    number: str,
    lines: dict[str, int],
    *,
    po_number: str | None = PO,
    rma_date: date = date(2026, 2, 1),
    **extra: Any,
) -> ReturnAuthorization:
    """A return authorization for ``lines`` (PO line -> eaches)."""
    return ReturnAuthorization.model_validate(
        {
            "rma_number": number,
            "rma_date": rma_date,
            "po_number": po_number,
            "currency": "USD",
            "lines": [
                {
                    "line_no": n,
                    "item": {"asin": ITEMS[n]["asin"]},
                    "quantity": q,
                    "uom": "EA",
                    "reason": "DAMAGED",
                    "unit_credit": COSTS[n],
                }
                for n, q in lines.items()
            ],
            **extra,
        }
    )


def store(session: Session, partner: str, doc: Any, status: str | None = None) -> Document:
    """Save ``doc`` for ``partner`` (as the pipeline does) and return its row."""
    return save_document(session, partner, doc, None, status=status).document


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on a migrated SQLite database (the test commits when it needs to)."""
    with Session(engine, expire_on_commit=False) as s:
        yield s


def open_findings(session: Session) -> dict[str, list[Any]]:
    """The discrepancies not resolved, by kind."""
    from sqlmodel import select

    from gateway.store.models import Discrepancy

    found: dict[str, list[Any]] = {}
    for row in session.exec(select(Discrepancy).where(Discrepancy.status != "resolved")).all():
        found.setdefault(row.kind, []).append(row)
    return found


def reconcile_stored(
    session: Session, partners: PartnerDirectory, *docs: tuple[str, Any], today: date = date(2026, 1, 20)
):
    """Store ``(partner, document)`` pairs, reconcile them as the pipeline does, return open findings by kind."""
    from gateway.reconcile import reconcile_documents

    rows = [store(session, partner, doc) for partner, doc in docs]
    reconcile_documents(session, partners, rows, today=today)
    session.commit()
    return open_findings(session)


def open_runtime(tmp_path: Path, url: str | None = None, **profile_options: Any):
    """A Runtime on ``url`` (a SQLite file by default) with the test partners and the shipped mappings."""
    from gateway.config.settings import Settings
    from gateway.service.runtime import Runtime

    folder = write_partners(tmp_path / "partners", **profile_options)
    settings = Settings(
        database_url=url or migrated_sqlite(tmp_path / "acorn.sqlite3"),
        archive_dir=tmp_path / "archive",
        partners_dir=folder,
        mappings_dir=ROOT / "mappings",
    )
    return Runtime.open(settings=settings)


@pytest.fixture
def runtime(tmp_path: Path):
    """A Runtime: amazon-us invoices automatically in X12, amazon-eu manually in EDIFACT."""
    rt = open_runtime(tmp_path)
    yield rt
    rt.close()


# -- a config file for the command line -----------------------------------------------------------


def make_config(
    tmp_path: Path,
    *docs: tuple[Any, ...],
    mode: str = "automatic",
    url: str | None = None,
    profiles: dict[str, str] | None = None,
    more: str = "",
) -> Path:
    """``config.yaml`` in ``tmp_path`` with the test partners (``profiles`` replacing some) and the
    shipped mappings, on ``url`` (default: a migrated SQLite copy), ``more`` YAML appended, holding
    ``docs``: ``(partner, document)`` or ``(partner, document, status)``."""
    write_partners(tmp_path / "partners", mode=mode, extra=profiles)
    if url is None:
        migrated_sqlite(tmp_path / "acorn.sqlite3")
        url = "sqlite:///acorn.sqlite3"
    path = tmp_path / "config.yaml"
    path.write_text(
        f"database_url: {url}\narchive_dir: archive\npartners_dir: partners\n"
        f"mappings_dir: {ROOT / 'mappings'}\n{more}",
        encoding="utf-8",
    )
    add_documents(path, *docs)
    return path


def add_documents(config: Path, *docs: tuple[Any, ...]) -> None:
    """Store ``(partner, document[, status])`` in the database of ``config``, as the pipeline does."""
    from gateway.config.settings import load_settings
    from gateway.service.runtime import Runtime
    from gateway.store import session_scope

    if not docs:
        return
    runtime = Runtime.open(settings=load_settings(config))
    with session_scope(runtime.engine) as session:
        for partner, doc, *status in docs:
            store(session, partner, doc, status=status[0] if status else None)
    runtime.close()


def run_cli(config: Path, *args: str) -> Any:
    """``acorn --config CONFIG ARGS...`` through click's runner (stdout and stderr apart)."""
    from click.testing import CliRunner

    from gateway.cli import cli

    return CliRunner().invoke(cli, ["--config", str(config), *args], obj={})
