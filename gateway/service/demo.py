"""Demo files that stay young: every date of a sample is moved so the file is sent today.

``acorn demo`` drops the shipped samples into the partners' inboxes. Their dates are from early
2026; left alone, the console would open with months-old discrepancies and aging alerts that
the demo never meant to show. :func:`redate` shifts every date of one file by the days between
its interchange date (ISA09, UNB 0017) and ``today``, so its delivery windows, ship dates and
return dates keep their distances from one another.

Dates are found by position, never by guessing from digits alone:

- X12: ISA09 (YYMMDD) and any other element that is exactly eight digits forming a real
  CCYYMMDD date (GS04, BEG05, DTM02, BSN03, BIG01, BGN03...).
- EDIFACT: the UNB date (YYMMDD or CCYYMMDD) and DTM's C507 value in format 102 (CCYYMMDD),
  203 (CCYYMMDDHHMM) or 101 (YYMMDD).

Everything else (control numbers, counts, the fixed-width ISA) is left byte for byte.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

_CCYYMMDD = re.compile(r"\d{8}")


def _shift(text: str, fmt: str, days: int) -> str:
    """``text`` (a date in ``fmt``, maybe followed by a time) moved by ``days``; unchanged if not a date."""
    width = len(datetime(2000, 1, 1).strftime(fmt))
    try:
        moved = datetime.strptime(text[:width], fmt) + timedelta(days=days)
    except ValueError:
        return text
    return moved.strftime(fmt) + text[width:]


def _x12(text: str, today: date) -> str:
    element, terminator = text[3], text[105]
    segments = text.split(terminator)
    isa = segments[0].split(element)
    try:
        anchor = datetime.strptime(isa[9], "%y%m%d").date()
    except (IndexError, ValueError):
        return text
    days = (today - anchor).days
    out = []
    for segment in segments:
        fields = segment.split(element)
        if fields[0].strip() == "ISA":
            fields[9] = _shift(fields[9], "%y%m%d", days)
        else:
            fields = [
                _shift(f, "%Y%m%d", days) if i and _CCYYMMDD.fullmatch(f) else f for i, f in enumerate(fields)
            ]
        out.append(element.join(fields))
    return terminator.join(out)


def _edifact(text: str, today: date) -> str:
    component, element, release, terminator = ":", "+", "?", "'"
    if text.startswith("UNA"):
        component, element, release, terminator = text[3], text[4], text[6], text[8]
    head, body = (text[:9], text[9:]) if text.startswith("UNA") else ("", text)
    segments = re.split(rf"(?<!{re.escape(release)}){re.escape(terminator)}", body)
    unb = next((s for s in segments if s.strip().startswith("UNB")), None)
    if unb is None:
        return text
    stamp = unb.split(element)[4].split(component)[0] if len(unb.split(element)) > 4 else ""
    fmt = "%Y%m%d" if len(stamp) == 8 else "%y%m%d"
    try:
        days = (today - datetime.strptime(stamp, fmt).date()).days
    except ValueError:
        return text
    formats = {"102": "%Y%m%d", "203": "%Y%m%d", "101": "%y%m%d"}
    out = []
    for segment in segments:
        fields = segment.split(element)
        tag = fields[0].strip()
        if tag == "UNB" and len(fields) > 4:
            parts = fields[4].split(component)
            parts[0] = _shift(parts[0], fmt, days)
            fields[4] = component.join(parts)
        elif tag == "DTM" and len(fields) > 1:
            parts = fields[1].split(component)
            if len(parts) > 2 and parts[2] in formats:
                parts[1] = _shift(parts[1], formats[parts[2]], days)
                fields[1] = component.join(parts)
        out.append(element.join(fields))
    return head + terminator.join(out)


def redate(data: bytes, today: date) -> bytes:
    """``data`` with its dates moved so its interchange is dated ``today`` (other files unchanged)."""
    text = data.decode("latin-1")
    start = text.lstrip()
    lead = text[: len(text) - len(start)]
    if start.startswith("ISA") and len(start) > 105:
        return (lead + _x12(start, today)).encode("latin-1")
    if start.startswith(("UNA", "UNB")):
        return (lead + _edifact(start, today)).encode("latin-1")
    return data
