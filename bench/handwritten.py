"""Hand-written translators for the two benchmark messages: the floor a mapping engine can reach.

Each function reads one transaction of ``bench/translate.py``'s sample shape (the X12 850 of
``mappings/tests/x12-850-amazon.edi``, the EDIFACT INVOIC of
``mappings/tests/edifact-invoic-credit.edi``) straight into the dict the mapping engine builds
before validation, as a programmer would code it for that one message shape: one pass over
the segments, an ``if`` per tag, no mapping file, no error positions, no generality. The
benchmark checks that each gives exactly the engine's dict before it times anything, so
the two do the same work.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from gateway.edi.model import Transaction

PURPOSE = {"00": "original", "01": "cancellation", "04": "change", "05": "replace", "06": "confirmation"}
ORDER_TYPE = {"NE": "new", "CN": "consigned", "NP": "new_product", "RO": "rush"}
X12_ROLE = {"BY": "buyer", "ST": "ship_to", "BT": "bill_to", "RI": "remit_to", "SF": "ship_from",
            "SU": "supplier", "VN": "vendor", "SE": "vendor"}  # fmt: skip
EDIFACT_ROLE = {"BY": "buyer", "SU": "remit_to", "IV": "bill_to", "DP": "ship_to", "ST": "ship_to",
                "SE": "vendor", "SF": "ship_from"}  # fmt: skip
KIND = {"380": "invoice", "381": "credit_note"}
X12_IDS = {"BP": "asin", "EN": "ean", "UP": "upc", "UK": "upc", "VN": "vendor_sku", "VP": "vendor_sku",
           "SK": "vendor_sku", "IN": "buyer_sku"}  # fmt: skip


def _date8(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def _put(out: dict[str, Any], key: str, value: str) -> None:
    if value and key not in out:
        out[key] = value


def purchase_order_850(tx: Transaction) -> dict[str, Any]:
    """The engine's dict of an X12 850 (BEG, CUR, REF, DTM, N1 loops, PO1/CTP/PID lines, CTT)."""
    out: dict[str, Any] = {}
    parties: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    party: dict[str, Any] | None = None
    line: dict[str, Any] | None = None
    for seg in tx.segments:
        tag = seg[0]
        if tag == "PO1":
            party = None
            line = {"line_no": seg[1], "quantity": Decimal(seg[2]), "uom": seg[3]}
            if seg[4]:
                line["unit_price"] = Decimal(seg[4])
            item: dict[str, str] = {}
            for q in range(6, len(seg) - 1, 2):
                key = X12_IDS.get(seg[q])
                if key is not None and seg[q + 1] and key not in item:
                    item[key] = seg[q + 1]
            line["item"] = item
            lines.append(line)
        elif tag == "CTP" and line is not None:
            if seg[2] == "RTL" and "list_price" not in line:
                line["list_price"] = Decimal(seg[3])
        elif tag == "PID" and line is not None:
            if seg[1] == "F" and len(seg) > 5:
                _put(line, "description", seg[5])
        elif tag == "N1":
            line = None
            role = X12_ROLE.get(seg[1])
            party = {"role": role, "name": seg[2], "id_qualifier": seg[3], "id": seg[4]} if role else None
            if party is not None:
                parties.append(party)
            if seg[1] == "ST":
                _put(out, "ship_to_location", seg[4])
        elif tag == "N3" and party is not None:
            _put(party, "address1", seg[1])
        elif tag == "N4" and party is not None:
            party.update(zip(("city", "state", "postal_code", "country"), seg[1:5], strict=False))
        elif tag == "BEG":
            out["purpose"] = PURPOSE.get(seg[1], "other")
            out["order_type"] = ORDER_TYPE.get(seg[2], "other")
            out["po_number"] = seg[3]
            out["order_date"] = _date8(seg[5])
        elif tag == "CUR" and seg[1] == "BY":
            out["currency"] = seg[2]
        elif tag == "REF" and seg[1] == "IA":
            _put(out, "vendor_code", seg[2])
        elif tag == "DTM":
            if seg[1] == "064":
                out["deliver_not_before"] = _date8(seg[2])
            elif seg[1] == "063":
                out["deliver_not_after"] = _date8(seg[2])
        elif tag == "CTT":
            out["line_count"] = int(seg[1])
    out["parties"] = parties
    out["lines"] = lines
    return out


def invoice_invoic(tx: Transaction) -> dict[str, Any]:
    """The engine's dict of an EDIFACT INVOIC (BGM, DTM, RFF, NAD, CUX, LIN groups, UNS, MOA, TAX)."""
    out: dict[str, Any] = {"allowances_charges": []}
    parties: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    taxes: list[dict[str, Any]] = []
    party: dict[str, Any] | None = None
    line: dict[str, Any] | None = None
    tax: dict[str, Any] | None = None
    summary = False
    for seg in tx.segments:
        tag = seg[0]
        if tag == "LIN":
            party = tax = None
            line = {"line_no": seg[1], "item": {}, "taxes": []}
            ean = seg[3]
            if ean[1] == "EN":
                line["item"]["ean"] = ean[0]
            lines.append(line)
        elif tag == "PIA" and line is not None:
            code = seg[2]
            if code[1] == "BP":
                line["item"]["asin"] = code[0]
        elif tag == "QTY" and line is not None:
            qty = seg[1]
            if qty[0] == "47":
                line["quantity"] = Decimal(qty[1])
                line["uom"] = qty[2] if len(qty) > 2 and qty[2] else "EA"
        elif tag == "PRI" and line is not None:
            if seg[1][0] == "AAA":
                line["unit_price"] = Decimal(seg[1][1])
        elif tag == "MOA":
            moa = seg[1]
            qualifier = moa[0]
            if tax is not None and qualifier == "124":
                tax["amount"] = Decimal(moa[1])
            elif summary and qualifier == "77":
                out["total"] = Decimal(moa[1])
            elif line is not None and qualifier == "203":
                line["amount"] = Decimal(moa[1])
        elif tag == "TAX":
            tax = {"type": seg[2]}
            rate = seg[5]
            if isinstance(rate, list) and len(rate) > 3:
                tax["rate"] = Decimal(rate[3])
            (line["taxes"] if line is not None else taxes).append(tax)
        elif tag == "NAD":
            role = EDIFACT_ROLE.get(seg[1])
            party = None
            if role:
                party = {"role": role, "id": seg[2][0], "id_qualifier": seg[2][2], "name": seg[4]}
                party.update(
                    zip(("address1", "city", "state", "postal_code", "country"), seg[5:10], strict=False)
                )
                party = {k: v for k, v in party.items() if v}
                parties.append(party)
        elif tag == "RFF":
            ref = seg[1]
            if party is not None and ref[0] == "VA":
                party["tax_id"] = ref[1]
            elif ref[0] == "ON":
                out["po_number"] = ref[1]
            elif ref[0] == "IV":
                out["original_invoice_number"] = ref[1]
            elif ref[0] == "ALQ":
                out["return_authorization"] = ref[1]
        elif tag == "BGM":
            out["kind"] = KIND[seg[1]]
            out["invoice_number"] = seg[2]
        elif tag == "DTM" and seg[1][0] == "137":
            out["invoice_date"] = _date8(seg[1][1])
        elif tag == "CUX":
            out["currency"] = seg[1][1]
        elif tag == "UNS":
            summary, line, tax = True, None, None
        elif tag == "CNT" and seg[1][0] == "2":
            out["line_count"] = int(seg[1][1])
    out["parties"] = parties
    out["lines"] = lines
    out["taxes"] = taxes
    return out
