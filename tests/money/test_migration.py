"""Migration 0004 creates the money tables exactly as gateway.store.money declares them."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import gateway.store.money  # noqa: F401
from gateway.store import make_engine, upgrade_database


def test_money_tables_match_their_models(any_db_url: str) -> None:
    engine = make_engine(any_db_url)
    assert upgrade_database(any_db_url, engine) >= "0004"
    mine = {"invoice_checks", "invoice_number_uses"}
    assert mine <= set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        diffs = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata
        )
    engine.dispose()

    def table(diff: object) -> str | None:
        item = diff[0] if isinstance(diff, list) else diff
        for part in item[1:]:  # type: ignore[index]
            name = part.table.name if hasattr(part, "table") else getattr(part, "name", part)
            if isinstance(name, str):
                return name
        return None

    assert [d for d in diffs if table(d) in mine] == []
