"""Carton labels: the PDF is re-read (pdfplumber) and its bars decoded back to the SSCC they draw."""

from __future__ import annotations

import io

import pdfplumber
from reportlab.graphics.barcode.code128 import _patterns

from gateway.canonical.gs1 import sscc_is_valid
from gateway.shipping.labels import BAR_WIDTH, carton_labels
from tests.shipping.conftest import shipment

WIDTHS = {"A": 1, "B": 2, "C": 3, "D": 4}
SYMBOLS = {pattern: value for value, pattern in _patterns.items()}


def decode_bars(rects: list[dict]) -> str:
    """Code 128 from the drawn bars: widths in modules, symbols of 3 bars + 3 spaces, set C digits."""
    bars = sorted((r for r in rects if r["height"] > 50), key=lambda r: r["x0"])
    runs: list[int] = []
    for i, bar in enumerate(bars):
        runs.append(round(bar["width"] / BAR_WIDTH))
        if i + 1 < len(bars):
            runs.append(round((bars[i + 1]["x0"] - bar["x1"]) / BAR_WIDTH))
    # reportlab merges touching bars? never: a bar is always followed by a space in Code 128
    letters = "".join("ABCD"[w - 1] if k % 2 == 0 else "abcd"[w - 1] for k, w in enumerate(runs))
    values = [SYMBOLS[letters[i : i + 6]] for i in range(0, len(letters) - 7, 6)]
    start, fnc1, *data, check = values
    assert start == 105 and fnc1 == 102  # START C, FNC1: a GS1-128 symbol
    assert check == (start + sum(v * (i + 1) for i, v in enumerate([fnc1, *data]))) % 103
    return "".join(f"{v:02d}" for v in data)


def test_each_carton_label_draws_its_sscc_in_gs1_128_and_in_text() -> None:
    notice = shipment()
    pdf = carton_labels(notice, "4TQ8ZK2M")
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        assert len(document.pages) == len(notice.packages)
        for page, package in zip(document.pages, notice.packages, strict=True):
            drawn = decode_bars(page.rects)
            assert drawn == "00" + package.sscc and sscc_is_valid(drawn)
            text = page.extract_text()
            assert f"(00) {package.sscc}" in text
            assert "PO: 4TQ8ZK2M" in text and "Amazon ABE8" in text and "Acme Warehouse" in text
