"""The receiving report CSV reader: accepted headers, rows to lines, every problem at once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from gateway.canonical.receipt_csv import ReceiptCsvError, column_map, receipt_from_csv

REPORT = """\ufeffPO Number,ASIN,Model Number,Received Quantity,Damaged Quantity,Carton ID,Receive Date,FC,ARN
T3XB8ZQ4,B07XJ8C8F5,ACM-100,10,,00008400066471210012,02/19/2024,ABE2,ARN5524471
T3XB8ZQ4,B07XJ8C8F5,ACM-100,12,2,008400066471210029,02/20/2024,ABE2,ARN5524471

5K2M9QW1,B08L5WHFT9,ACM-200,36,,,02/20/2024,ABE2,
"""


def test_a_report_becomes_one_receipt_line_per_row() -> None:
    receipt = receipt_from_csv(REPORT, "report-2024-02-20.csv", partner="amazon-us")
    assert (receipt.receipt_id, receipt.partner, receipt.receipt_date) == (
        "report-2024-02-20.csv",
        "amazon-us",
        date(2024, 2, 20),  # the latest receive date
    )
    assert (receipt.ship_to_location, receipt.arn, receipt.po_number) == ("ABE2", "ARN5524471", None)
    assert [(x.po_number, x.item.asin, x.item.vendor_sku, x.quantity) for x in receipt.lines] == [
        ("T3XB8ZQ4", "B07XJ8C8F5", "ACM-100", Decimal(10)),
        ("T3XB8ZQ4", "B07XJ8C8F5", "ACM-100", Decimal(12)),
        ("5K2M9QW1", "B08L5WHFT9", "ACM-200", Decimal(36)),
    ]
    assert receipt.lines[1].damaged == 2
    assert receipt.received_by_sscc() == {"008400066471210012": 10, "008400066471210029": 12}


def test_semicolons_and_european_dates_are_read() -> None:
    text = "purchase_order;EAN;units received;date received\n4Y7B2XQZ;0840006647121;5;01.03.2024\n"
    receipt = receipt_from_csv(text, "eu.csv")
    assert receipt.receipt_date == date(2024, 3, 1)
    assert receipt.lines[0].item.ean == "0840006647121"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["PO", "Received"], {"po_number": 0, "quantity": 1}),
        (["Purchase-Order Number", "Qty", "QUANTITY_RECEIVED"], {"po_number": 0, "quantity": 2}),
        (["po", "PO", "received"], {"po_number": 0, "quantity": 2}),  # the first spelling wins
    ],
)
def test_headers_are_matched_by_name_not_position(headers, expected) -> None:
    assert column_map(headers) == expected


def test_a_missing_required_column_is_named() -> None:
    with pytest.raises(ReceiptCsvError, match="no quantity column") as exc:
        receipt_from_csv("PO,ASIN\nT3XB8ZQ4,B07XJ8C8F5\n", "r.csv")
    assert len(exc.value.problems) == 1


def test_every_bad_row_is_reported_with_its_number() -> None:
    text = "PO,ASIN,Received,Receive Date\nP1,A1,ten,2024-02-20\nP1,A1,3,20/02/2024\n,A1,3,2024-02-20\n"
    with pytest.raises(ReceiptCsvError) as exc:
        receipt_from_csv(text, "r.csv")
    assert exc.value.problems == [
        "row 2: quantity: 'ten' is not a quantity (digits, '.' for a fraction)",
        "row 3: '20/02/2024' is not a date (YYYY-MM-DD, MM/DD/YYYY or DD.MM.YYYY)",
        "row 4: po_number: empty",
    ]


def test_a_row_without_an_item_id_is_reported_at_its_row() -> None:
    text = "PO,ASIN,Received,Receive Date\nP1,A1,3,2024-02-20\n\nP1,,4,2024-02-20\n"
    with pytest.raises(ReceiptCsvError, match=r"row 4: item: .*at least one id"):
        receipt_from_csv(text, "r.csv")


def test_a_report_without_any_date_is_refused() -> None:
    with pytest.raises(ReceiptCsvError, match="no receive date"):
        receipt_from_csv("PO,ASIN,Received\nP1,A1,3\n", "r.csv")


def test_an_empty_report_is_refused() -> None:
    with pytest.raises(ReceiptCsvError, match="empty"):
        receipt_from_csv("", "r.csv")
