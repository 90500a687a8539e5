"""Carton labels: one GS1-128 label per package of a ship notice, as a PDF (4 x 6 inches a page).

Each label carries the SSCC as a GS1-128 barcode (Code 128 with FNC1, then the application
identifier ``00`` and the 18 digits, from reportlab's barcode module), the same number in
human-readable form ``(00) 0 0840012345 0000016``-style, the ship-from and ship-to (the FC)
and the PO number: what AMAZON-RULES.md asks of a carton label, and the same SSCC the
notice's MAN*GM / GIN+BJ carries.
"""

from __future__ import annotations

import io

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas

from gateway.canonical import Party, Shipment
from gateway.canonical.gs1 import SSCC_AI

FNC1 = "\xf1"
PAGE = (4 * inch, 6 * inch)
BAR_WIDTH = 0.0125 * inch  # the X-dimension: 0.3175 mm, inside GS1's 0.25-0.495 mm for SSCC labels


def gs1_128(sscc: str) -> Code128:
    """The GS1-128 barcode of ``sscc`` (18 digits): FNC1, ``00``, the digits."""
    return Code128(
        FNC1 + SSCC_AI + sscc, barWidth=BAR_WIDTH, barHeight=1.4 * inch, quiet=True, lquiet=10 * BAR_WIDTH
    )


def human_readable(sscc: str) -> str:
    """``(00) 008400123450000016`` as printed under the barcode."""
    return f"({SSCC_AI}) {sscc}"


def _address(party: Party | None) -> list[str]:
    if party is None:
        return []
    lines = [party.name or party.id or ""]
    lines += [x for x in (party.address1, party.address2) if x]
    place = " ".join(x for x in (party.city, party.state, party.postal_code) if x)
    lines += [x for x in (place, party.country) if x]
    return [x for x in lines if x]


def carton_labels(notice: Shipment, po_number: str | None = None) -> bytes:
    """The PDF of one label per package of ``notice`` (pallets too), in the notice's order."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=PAGE, invariant=True)
    canvas.setTitle(f"Carton labels {notice.shipment_id}")
    width, height = PAGE
    ship_from = notice.maybe_party("ship_from")
    fc = notice.ship_to_location or ""
    total = len(notice.packages)
    for n, package in enumerate(notice.packages, 1):
        pos = sorted(
            {c.po_number for c in package.contents if c.po_number} or ([po_number] if po_number else [])
        )
        canvas.setFont("Helvetica-Bold", 8)
        canvas.drawString(0.2 * inch, height - 0.3 * inch, "SHIP FROM")
        canvas.drawString(2.1 * inch, height - 0.3 * inch, "SHIP TO")
        canvas.setFont("Helvetica", 9)
        for i, text in enumerate(_address(ship_from)[:5]):
            canvas.drawString(0.2 * inch, height - (0.5 + 0.16 * i) * inch, text)
        canvas.setFont("Helvetica-Bold", 16)
        canvas.drawString(2.1 * inch, height - 0.6 * inch, f"Amazon {fc}")
        canvas.line(0, height - 1.4 * inch, width, height - 1.4 * inch)
        canvas.setFont("Helvetica-Bold", 11)
        canvas.drawString(0.2 * inch, height - 1.7 * inch, f"PO: {', '.join(pos)}")
        canvas.drawString(0.2 * inch, height - 1.95 * inch, f"{package.level.upper()} {n} OF {total}")
        canvas.setFont("Helvetica", 9)
        canvas.drawString(0.2 * inch, height - 2.2 * inch, f"Shipment {notice.shipment_id}")
        canvas.line(0, height - 2.4 * inch, width, height - 2.4 * inch)
        canvas.setFont("Helvetica-Bold", 8)
        canvas.drawString(0.2 * inch, height - 2.65 * inch, "SSCC")
        barcode = gs1_128(package.sscc)
        barcode.drawOn(canvas, (width - barcode.width) / 2, 1.2 * inch)
        canvas.setFont("Helvetica-Bold", 12)
        canvas.drawCentredString(width / 2, 0.9 * inch, human_readable(package.sscc))
        canvas.showPage()
    canvas.save()
    return out.getvalue()
