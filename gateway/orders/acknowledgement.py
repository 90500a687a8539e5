"""The PO acknowledgement's per-line decisions, and its pre-check: pure functions, no store.

:func:`decide` turns a purchase order, the partner's ``rules.po_acknowledgement`` policy and
the latest availability feed (or ``None``) into a draft :class:`PoAcknowledgement` and the
reasons it must be held for an operator. Per PO line, the item found in the feed by any id:

- status in ``reject_statuses`` (discontinued, obsolete): reject, ``obsolete_product``;
- enough available (in eaches of the PO line): accept all;
- not enough, more ``available_on`` within ``backorder_max_days``: backorder with that date,
  after accepting what is available now when ``split_partial`` (two lines, one ``line_no``);
- not enough and no date in time: the available part accepted (``split_partial``), the rest
  rejected ``temporarily_unavailable``;
- not in the feed: reject ``invalid_product_identifier`` (``reject_unknown_items``), else held.

No feed at all: every line drafted as accepted and the whole acknowledgement held. The cost
echoed is always the PO line's cost, never the feed's; :func:`precheck` says so again before
an acknowledgement leaves (at queue time and at send time).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from gateway.canonical import OrderLine, PoAcknowledgement, PurchaseOrder
from gateway.canonical.availability import Availability, AvailabilityLine, item_keys
from gateway.config.rules import PoAcknowledgementRules

ZERO = Decimal(0)
CASE_UOMS = frozenset({"CA", "CS", "CT"})


@dataclass
class Decision:
    """A draft acknowledgement and why it may not go out on its own (``held`` reasons)."""

    ack: PoAcknowledgement
    held: list[str] = field(default_factory=list)


def _units_available(po_line: OrderLine, feed: AvailabilityLine) -> Decimal | None:
    """The feed's quantity in the PO line's unit (whole cases for a case line), ``None`` if unknown."""
    available = feed.quantity_available
    po_case = po_line.uom.upper() in CASE_UOMS
    feed_case = feed.uom.upper() in CASE_UOMS
    if po_case == feed_case:
        return Decimal(math.floor(available)) if po_case else available
    if po_line.case_size is None or po_line.case_size == ZERO:
        return None
    if po_case:  # feed in eaches, PO in cases: whole cases only
        return Decimal(math.floor(available / po_line.case_size))
    return available * po_line.case_size


def _line(po_line: OrderLine, status: str, confirmed: Decimal, **extra: Any) -> dict[str, Any]:
    return {
        "line_no": po_line.line_no,
        "item": po_line.item.model_dump(),
        "ordered_quantity": po_line.quantity,
        "uom": po_line.uom,
        "confirmed_quantity": confirmed,
        "unit_price": po_line.unit_price,
        "status": status,
        **extra,
    }


def _decide_line(
    po_line: OrderLine, feed: AvailabilityLine, rules: PoAcknowledgementRules, today: date
) -> tuple[list[dict[str, Any]], str | None]:
    ordered = po_line.quantity
    if feed.status and feed.status.strip().lower() in {s.lower() for s in rules.reject_statuses}:
        return [_line(po_line, "reject", ZERO, reason="obsolete_product")], None
    available = _units_available(po_line, feed)
    if available is None:
        why = f"line {po_line.line_no}: the feed is in {feed.uom}, the PO in {po_line.uom} with no case size"
        return [_line(po_line, "accept", ordered)], why
    if available >= ordered:
        return [_line(po_line, "accept", ordered)], None
    now = max(available, ZERO) if rules.split_partial else ZERO
    rest = ordered - now
    lines = [_line(po_line, "accept", now)] if now > ZERO else []
    in_time = feed.available_on is not None and (feed.available_on - today).days <= rules.backorder_max_days
    if in_time:
        lines.append(
            _line(
                po_line, "backorder", rest, reason="temporarily_unavailable", backorder_date=feed.available_on
            )
        )
    else:
        lines.append(_line(po_line, "reject", ZERO, reason="temporarily_unavailable"))
    return lines, None


def decide(
    po: PurchaseOrder,
    rules: PoAcknowledgementRules,
    availability: Availability | None,
    today: date,
    index: Mapping[str, AvailabilityLine] | None = None,
) -> Decision:
    """The draft acknowledgement of ``po`` and its hold reasons (see the module docstring).

    ``index``: ``availability.by_item()``, when the caller decides many POs from one feed (a
    batch): built once, not per PO (a real feed has thousands of items)."""
    held: list[str] = []
    lines: list[dict[str, Any]] = []
    if index is None:
        index = availability.by_item() if availability is not None else {}
    if availability is None:
        held.append(
            "availability_missing: no availability feed for this partner; every line drafted as accepted"
        )
    for po_line in po.lines:
        if availability is None:
            lines.append(_line(po_line, "accept", po_line.quantity))
            continue
        feed = next((index[k] for k in item_keys(po_line.item) if k in index), None)
        if feed is None:
            lines.append(_line(po_line, "reject", ZERO, reason="invalid_product_identifier"))
            if not rules.reject_unknown_items:
                held.append(f"item_not_in_feed: line {po_line.line_no} is not in the availability feed")
            continue
        decided, why = _decide_line(po_line, feed, rules, today)
        lines.extend(decided)
        if why:
            held.append(f"availability_unit: {why}")
    ack = PoAcknowledgement.model_validate(
        {
            "partner": po.partner,
            "ack_number": po.po_number,
            "po_number": po.po_number,
            "ack_date": today,
            "order_date": po.order_date,
            "currency": po.currency,
            "vendor_code": po.vendor_code,
            "ship_to_location": po.ship_to_location,
            "lines": lines,
            "line_count": len(lines),
        }
    )
    held.extend(precheck(ack, po))
    return Decision(ack, held)


def precheck(ack: PoAcknowledgement, po: PurchaseOrder) -> list[str]:
    """What breaks Amazon's 855 rules in ``ack`` against its PO: ``"<code>: <text>"`` per problem."""
    problems: list[str] = []
    po_lines = {line.line_no: line for line in po.lines}
    if ack.po_number != po.po_number:
        problems.append(f"po_mismatch: the acknowledgement names PO {ack.po_number}, not {po.po_number}")
    stated: dict[str, Decimal] = {}
    for line in ack.lines:
        po_line = po_lines.get(line.line_no)
        if po_line is None:
            problems.append(f"line_not_on_po: line {line.line_no} is not a line of PO {po.po_number}")
            continue
        if po_line.unit_price is None or line.unit_price != po_line.unit_price:
            problems.append(
                f"cost_differs_from_po: line {line.line_no} echoes cost {line.unit_price}, "
                f"the PO's is {po_line.unit_price} (Amazon rejects any other or a blank cost)"
            )
        if line.status != "reject":
            stated[line.line_no] = stated.get(line.line_no, ZERO) + line.confirmed_quantity
    for line_no, total in stated.items():
        ordered = po_lines[line_no].quantity
        if total > ordered:
            problems.append(f"confirmed_over_ordered: line {line_no} confirms {total} of {ordered} ordered")
    return problems
