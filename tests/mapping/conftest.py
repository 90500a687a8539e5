"""Fixtures of the mapping tests: hand-built transactions, tiny canonical models, mapping files."""

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


# Models shaped after the JSON contract of issue 3, to test the shipped mapping files on their own.


class CItem(BaseModel):
    asin: str | None = None
    ean: str | None = None
    upc: str | None = None
    vendor_sku: str | None = None


class CParty(BaseModel):
    code: str | None = None
    name: str | None = None
    street: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    tax_id: str | None = None


class POLine(BaseModel):
    line_no: str
    quantity: Decimal
    uom: str
    unit_price: Decimal | None = None
    list_price: Decimal | None = None
    description: str | None = None
    item: CItem = CItem()


class PurchaseOrder(BaseModel):
    partner: str | None = None
    po_number: str
    order_date: date
    order_type: str | None = None
    currency: str = "USD"
    vendor_code: str | None = None
    deliver_not_before: date | None = None
    deliver_not_after: date | None = None
    ship_to: CParty | None = None
    bill_to: CParty | None = None
    buyer: CParty | None = None
    vendor: CParty | None = None
    lines: list[POLine]


class ShipLine(BaseModel):
    po_number: str | None = None
    line_no: str | None = None
    quantity: Decimal
    uom: str | None = None
    item: CItem = CItem()


class CShipOrder(BaseModel):
    po_number: str
    lines: list[ShipLine] = []


class Package(BaseModel):
    sscc: str
    kind: str | None = None
    contents: list[ShipLine] = []


class CShipment(BaseModel):
    partner: str | None = None
    shipment_id: str
    ship_date: date
    delivery_date: date | None = None
    carrier_scac: str | None = None
    bol: str | None = None
    pro: str | None = None
    arn: str | None = None
    ship_from: CParty | None = None
    ship_to: CParty | None = None
    orders: list[CShipOrder]
    packages: list[Package] = []


class InvLine(BaseModel):
    line_no: str
    quantity: Decimal
    uom: str
    unit_price: Decimal
    tax_rate: Decimal | None = None
    tax_amount: Decimal | None = None
    item: CItem = CItem()


class Tax(BaseModel):
    type: str | None = None
    rate: Decimal | None = None
    amount: Decimal


class AC(BaseModel):
    kind: str
    code: str | None = None
    amount: Decimal
    description: str | None = None


class Terms(BaseModel):
    type_code: str | None = None
    discount_percent: Decimal | None = None
    discount_days: int | None = None
    net_days: int | None = None


class Invoice(BaseModel):
    partner: str | None = None
    invoice_number: str
    invoice_date: date
    kind: str = "invoice"
    po_number: str
    po_date: date | None = None
    shipment_id: str | None = None
    original_invoice: str | None = None
    return_authorization: str | None = None
    return_date: date | None = None
    currency: str
    remit_to: CParty | None = None
    bill_to: CParty | None = None
    ship_from: CParty | None = None
    ship_to: CParty | None = None
    terms: Terms | None = None
    lines: list[InvLine]
    total: Decimal
    taxes: list[Tax] = []
    allowances_charges: list[AC] = []


class RLine(BaseModel):
    line_no: str | None = None
    quantity: Decimal
    uom: str | None = None
    item: CItem = CItem()
    reason: str | None = None
    disposition: str | None = None
    unit_credit: Decimal | None = None


class ReturnAuthorization(BaseModel):
    partner: str | None = None
    rma_number: str
    return_date: date | None = None
    po_number: str | None = None
    lines: list[RLine]


CONTRACT_MODELS = {
    "purchase_order": PurchaseOrder,
    "shipment": CShipment,
    "invoice": Invoice,
    "return_authorization": ReturnAuthorization,
}


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


@pytest.fixture
def contract_models() -> dict[str, type[BaseModel]]:
    return dict(CONTRACT_MODELS)


def split_edi(text: str) -> list[Transaction]:
    """A test-only splitter for the sample files (default separators, no release characters)."""
    text = text.strip()
    if text.startswith("ISA"):
        segments = [s.strip().split("*") for s in text.split("~") if s.strip()]
        standard, start_tag, end_tag = "x12", "ST", "SE"
    else:
        body = text[9:] if text.startswith("UNA") else text
        segments = []
        for raw in body.split("'"):
            if not raw.strip():
                continue
            elements = raw.strip().split("+")
            segments.append([elements[0], *[e.split(":") if ":" in e else e for e in elements[1:]]])
        standard, start_tag, end_tag = "edifact", "UNH", "UNT"
    transactions, current, version = [], None, ""
    for seg in segments:
        if seg[0] == "GS":
            version = seg[8]
        if seg[0] == start_tag:
            current = [seg]
            if standard == "edifact":
                version = seg[2][1] + seg[2][2]
        elif current is not None:
            current.append(seg)
            if seg[0] == end_tag:
                tx = make_transaction(current, standard, version)
                transactions.append(tx)
                current = None
    return transactions


@pytest.fixture
def split() -> Callable[[str], list[Transaction]]:
    return split_edi
