"""A hook that names the document types it acts on runs only for a batch holding one of them.

``Hook.types`` (:mod:`gateway.service.hooks`): settlement acts on remittances and returns, the
automatic ship notice on shipments; a batch of POs skips them, so an 850 file never imports
their modules (issue 15: what ``acorn ingest`` holds). A hook without types runs for any batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlmodel import Session

from gateway.service import pipeline
from gateway.service.hooks import STORED_HOOKS, Hook, runs_on
from gateway.service.pipeline import run
from gateway.service.runtime import Runtime
from gateway.store.models import Document
from tests.pipeline.conftest import make_home, numbered_po


def test_a_hook_runs_only_on_the_types_it_names(tmp_path: Path) -> None:
    runtime = Runtime.open(make_home(tmp_path / "gw"))
    seen: dict[str, list[str]] = {"shipments": [], "orders": [], "any": []}

    def recorder(name: str):  # type: ignore[no-untyped-def]
        def record(session: Session, rt: Runtime, rows: Sequence[Document]) -> list[str]:
            seen[name].extend(row.type for row in rows)
            return []

        return record

    hooks = (
        Hook("shipments only", recorder("shipments"), frozenset({"shipment"})),
        Hook("orders only", recorder("orders"), frozenset({"purchase_order"})),
        Hook("any", recorder("any")),
        *STORED_HOOKS,
    )
    try:
        receipt = pipeline.receive(runtime, numbered_po(7301), filename="po.edi", partner="amazon-us")
        summary = run.process(runtime, receipt.message_id, hooks=hooks)
        assert summary.state == "done", summary
    finally:
        runtime.close()
    assert seen == {"shipments": [], "orders": ["purchase_order"], "any": ["purchase_order"]}


def test_the_stored_hooks_name_their_types() -> None:
    po, shipment = Document(type="purchase_order"), Document(type="shipment")
    by_name = {hook.name: hook for hook in STORED_HOOKS}
    assert not runs_on(by_name["settlement"], [po, shipment])
    assert runs_on(by_name["settlement"], [po, Document(type="remittance")])
    assert not runs_on(by_name["ship notice"], [po])
    assert runs_on(by_name["ship notice"], [po, shipment])
    assert all(runs_on(by_name[name], [po]) for name in ("reconciliation", "invoicing", "po acknowledgement"))
