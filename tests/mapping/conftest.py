"""Fixtures of the mapping tests: hand-built transactions, tiny test models, mapping files.

The shipped mapping files are tested with the real canonical models (test_mapping_files.py,
test_golden.py); the engine tests use the small models below, so each language feature is
tested on its own.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import BaseModel, Field

from gateway.edi.errors import Position
from gateway.edi.model import EDIFACT_DEFAULT, X12_DEFAULT, GroupHeader, InterchangeHeader, Transaction


class Item(BaseModel):
    asin: str | None = None
    ean: str | None = None
    upc: str | None = None
    vendor_sku: str | None = None


class Line(BaseModel):
    line_no: int
    quantity: Decimal = Field(gt=0)
    uom: str = "EA"
    unit_price: Decimal | None = None
    item: Item = Item()


class Party(BaseModel):
    code: str | None = None
    name: str | None = None
    city: str | None = None


class Order(BaseModel):
    po_number: str
    order_date: date
    order_type: str | None = None
    currency: str = "USD"
    ship_to: Party | None = None
    vendor: Party | None = None
    refs: list[str] = []
    total: Decimal | None = None
    partner: str | None = None
    lines: list[Line]


class Pack(BaseModel):
    sscc: str
    contents: list[Line] = []


class ShipOrder(BaseModel):
    po_number: str
    lines: list[Line] = []


class Shipment(BaseModel):
    shipment_id: str
    ship_date: date | None = None
    orders: list[ShipOrder] = []
    packages: list[Pack] = []


MODELS = {"order": Order, "shipment": Shipment}


def make_transaction(segments: list[list], standard: str = "x12", version: str = "004010") -> Transaction:
    delimiters = X12_DEFAULT if standard == "x12" else EDIFACT_DEFAULT
    ic = InterchangeHeader(
        standard, 1, "ZZ", "S", "ZZ", "R", "1", "", "", "00401", False, delimiters, ["ISA"], Position()
    )
    group = GroupHeader(1, "PO", "S", "R", "1", version, "", "", None, Position())
    head = segments[0]
    tx_type = head[2][0] if head[0] == "UNH" else head[1]
    return Transaction(tx_type, "0001", version, segments, ic, group, 1, 3)


@pytest.fixture
def models() -> dict[str, type[BaseModel]]:
    return dict(MODELS)


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a YAML file (dedented) under tmp_path and return its path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def tx() -> Callable[..., Transaction]:
    return make_transaction
