"""One name per money rule: stored invoice-check reasons take the reconciliation's codes.

The invoice pre-check and reconciliation once named the same rule twice
(``currency_differs``/``currency_mismatch``, ``cost_differs_from_po``/``price_mismatch``,
...). Discrepancy kinds keep their names (none is renamed); the reasons stored in
``invoice_checks.reasons`` are renamed so that a blocked invoice's history reads in today's
vocabulary (:data:`gateway.config.rules.RETIRED_CODES`, which only ever grows).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

from gateway.config.rules import RETIRED_CODES

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

#: The one list of retired names, shared with the partner profiles' ``skip:`` (which still accept them).
RENAMED = RETIRED_CODES

checks = sa.table("invoice_checks", sa.column("document_id", sa.Integer), sa.column("reasons", sa.JSON))


def _rename(mapping: dict[str, str]) -> None:
    connection = op.get_bind()
    for document_id, reasons in connection.execute(sa.select(checks.c.document_id, checks.c.reasons)).all():
        loaded: list[dict[str, Any]] = json.loads(reasons) if isinstance(reasons, str) else reasons or []
        renamed = [{**r, "code": mapping.get(str(r.get("code")), r.get("code"))} for r in loaded]
        if renamed != loaded:
            connection.execute(
                checks.update().where(checks.c.document_id == document_id).values(reasons=renamed)
            )


def upgrade() -> None:
    _rename(RENAMED)


def downgrade() -> None:
    back: dict[str, str] = {}
    for old, new in RENAMED.items():
        back.setdefault(new, old)
    _rename(back)
