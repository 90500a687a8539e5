"""The conversion functions a mapping file may name, and nothing else.

A rule's ``convert:`` holds one call or a list of calls applied in order, written
``name`` or ``name(arg, arg)``: ``date(CCYYMMDD)``, ``implied(2)``, ``[trim, upper]``.
Calls are parsed by a regular expression and looked up in :data:`FUNCTIONS`; there is no
``eval`` and no way to reach Python from a mapping file.

Each function works both ways: ``read`` turns EDI text into a canonical value (inbound),
``write`` turns a canonical value into EDI text (outbound). ``date(CCYYMMDD)`` reads
``20240131`` as ``date(2024, 1, 31)`` and writes it back; ``implied(2)`` reads ``123456``
as ``Decimal("1234.56")`` and writes ``1234.56`` as ``123456`` (TDS01 in cents).
Functions raise ``ValueError`` with a readable reason; the engines add the position.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

_CALL_RE = re.compile(r"^\s*(?P<name>[a-z_]+)\s*(?:\((?P<args>[^()]*)\))?\s*$")

# Date/time layouts by their X12 / EDIFACT names, as strptime/strftime patterns.
DATE_FORMATS: dict[str, str] = {
    "CCYYMMDD": "%Y%m%d",
    "YYYYMMDD": "%Y%m%d",
    "YYMMDD": "%y%m%d",
    "MMDDYY": "%m%d%y",
    "CCYYMMDDHHMM": "%Y%m%d%H%M",
    "CCYYMMDDHHMMSS": "%Y%m%d%H%M%S",
    "YYYY-MM-DD": "%Y-%m-%d",
}
TIME_FORMATS: dict[str, str] = {"HHMM": "%H%M", "HHMMSS": "%H%M%S"}
# EDIFACT DTM C507 format codes (component 3) and their layouts.
DTM_FORMATS: dict[str, str] = {
    "101": "YYMMDD",
    "102": "CCYYMMDD",
    "203": "CCYYMMDDHHMM",
    "204": "CCYYMMDDHHMMSS",
}
DTM_RANGE = "718"  # CCYYMMDD-CCYYMMDD: the first date is taken


@dataclass(frozen=True, slots=True)
class Call:
    """One compiled function call: ready-bound ``read`` and ``write``."""

    text: str
    read: Callable[[Any], Any]
    write: Callable[[Any], Any]


def _as_text(value: Any) -> str:
    if isinstance(value, list):
        return value[0] if value else ""
    return str(value)


def _parse_date(text: str, layout: str) -> date:
    try:
        if DATE_FORMATS[layout] == "%Y%m%d" and len(text) == 8 and text.isascii() and text.isdigit():
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))  # the common case, 20x strptime
        parsed = datetime.strptime(text, DATE_FORMATS[layout])
    except ValueError:
        raise ValueError(f"{text!r} is not a date in the form {layout}") from None
    if parsed.strftime(DATE_FORMATS[layout]) != text:  # strptime takes 2024011 as 2024-01-01
        raise ValueError(f"{text!r} is not a date in the form {layout}")
    return parsed.date()


def _date(args: list[str]) -> Call:
    if len(args) != 1 or (args[0] not in DATE_FORMATS and args[0] != "dtm"):
        raise ValueError(f"date takes one of {', '.join([*DATE_FORMATS, 'dtm'])}")
    layout = args[0]
    if layout == "dtm":
        return Call(f"date({layout})", _read_dtm, _write_dtm_date)

    def read(value: Any) -> date:
        return _parse_date(_as_text(value), layout)

    def write(value: Any) -> str:
        if isinstance(value, str):
            value = date.fromisoformat(value)
        return value.strftime(DATE_FORMATS[layout])

    return Call(f"date({layout})", read, write)


def _read_dtm(value: Any) -> date:
    """An EDIFACT C507 composite (qualifier:value:format) as a date, format from component 3."""
    comps = value if isinstance(value, list) else [value]
    text = comps[1] if len(comps) > 1 else comps[0]
    code = comps[2] if len(comps) > 2 and comps[2] else "102"
    if code == DTM_RANGE:
        return _parse_date(text.split("-")[0], "CCYYMMDD")
    if code not in DTM_FORMATS:
        raise ValueError(f"DTM format code {code!r} is not supported (use {', '.join(DTM_FORMATS)})")
    return _parse_date(text, DTM_FORMATS[code])


def _write_dtm_date(value: Any) -> str:
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return value.strftime("%Y%m%d")


def _time(args: list[str]) -> Call:
    if len(args) != 1 or args[0] not in TIME_FORMATS:
        raise ValueError(f"time takes one of {', '.join(TIME_FORMATS)}")
    pattern = TIME_FORMATS[args[0]]

    def read(value: Any) -> time:
        text = _as_text(value)
        try:
            parsed = datetime.strptime(text, pattern)
        except ValueError:
            raise ValueError(f"{text!r} is not a time in the form {args[0]}") from None
        if parsed.strftime(pattern) != text:  # strptime takes 930 as 09:30 for HHMM
            raise ValueError(f"{text!r} is not a time in the form {args[0]}")
        return parsed.time()

    def write(value: Any) -> str:
        if isinstance(value, str):
            value = time.fromisoformat(value)
        return value.strftime(pattern)

    return Call(f"time({args[0]})", read, write)


def to_decimal_point(value: Any) -> Decimal:
    """X12 numeric text as a finite Decimal: a decimal point only, never a comma.

    X12 has no decimal comma, so ``1,000`` is refused rather than read as 1.000 (or 1000).
    """
    text = value if type(value) is str else _as_text(value)
    if "," in text:
        raise ValueError(f"{text!r} is not a number (X12 numbers have a point, no comma)")
    return to_decimal(text)


def to_decimal(value: Any) -> Decimal:
    """EDI numeric text (or a composite's first component) as a finite Decimal.

    A comma is read as the decimal mark (EDIFACT's UNA allows it); X12 mappings read with
    :func:`to_decimal_point` instead.
    """
    text = value if type(value) is str else _as_text(value)
    if "," in text:  # a decimal comma (EDIFACT UNA, or an ERP's habit)
        text = text.replace(",", ".")
    try:
        if "_" in text:  # Python reads 1_000 as 1000; EDI has no such digit grouping
            raise InvalidOperation
        result = Decimal(text)  # surrounding spaces are allowed
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a number") from None
    if not result.is_finite():
        raise ValueError(f"{text!r} is not a number")
    return result


def _plain(value: Decimal) -> str:
    """A Decimal as EDI numeric text: no exponent, no trailing zeros after the point."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _decimal(args: list[str]) -> Call:
    if len(args) > 1 or (args and not args[0].isdigit()):
        raise ValueError("decimal takes no argument, or the number of places to write, e.g. decimal(2)")
    places = int(args[0]) if args else None

    def write(value: Any) -> str:
        number = Decimal(value)
        if places is not None:
            return format(number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP), "f")
        return _plain(number)

    return Call(f"decimal({places})" if args else "decimal", to_decimal, write)


def _implied(args: list[str]) -> Call:
    if len(args) != 1 or not args[0].isdigit():
        raise ValueError("implied takes the number of implied decimal places, e.g. implied(2)")
    places = int(args[0])

    def read(value: Any) -> Decimal:
        text = _as_text(value)
        if not re.fullmatch(r"\s*-?\d+\s*", text):
            raise ValueError(f"{text!r} is not a whole number with {places} implied decimals")
        return Decimal(int(text)).scaleb(-places)

    def write(value: Any) -> str:
        scaled = (Decimal(value).scaleb(places)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return str(int(scaled))

    return Call(f"implied({places})", read, write)


def _integer(args: list[str]) -> Call:
    if args:
        raise ValueError("int takes no argument")

    def read(value: Any) -> int:
        text = _as_text(value).strip()
        try:
            if "_" in text:  # Python reads 1_000 as 1000
                raise InvalidOperation
            number = Decimal(text) if text else Decimal(0)
        except InvalidOperation:
            raise ValueError(f"{text!r} is not a whole number") from None
        if not number.is_finite() or number != number.to_integral_value():
            raise ValueError(f"{text!r} is not a whole number")  # 2.7 is not read as 2
        return int(number)

    return Call("int", read, lambda v: str(int(v)))


def _text_fn(name: str, fn: Callable[[str], str]) -> Callable[[list[str]], Call]:
    def build(args: list[str]) -> Call:
        if args:
            raise ValueError(f"{name} takes no argument")
        return Call(name, lambda v: fn(_as_text(v)), lambda v: fn(str(v)))

    return build


def _strip_zeros(text: str) -> str:
    return text.lstrip("0") or ("0" if text else "")


FUNCTIONS: dict[str, Callable[[list[str]], Call]] = {
    "date": _date,
    "time": _time,
    "decimal": _decimal,
    "implied": _implied,
    "int": _integer,
    "trim": _text_fn("trim", str.strip),
    "upper": _text_fn("upper", str.upper),
    "lower": _text_fn("lower", str.lower),
    "strip_zeros": _text_fn("strip_zeros", _strip_zeros),
}


def compile_call(text: str, standard: str = "") -> Call:
    """Compile ``name`` or ``name(args)``. Raises ``ValueError`` for unknown names or bad arguments.

    ``standard`` (``x12``, ``edifact``) picks what differs between them: ``decimal`` in an X12
    mapping refuses a decimal comma.
    """
    if not isinstance(text, str):
        raise ValueError(f"a function call is text like date(CCYYMMDD), not {type(text).__name__}")
    match = _CALL_RE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a function call like date(CCYYMMDD)")
    name = match["name"]
    if name not in FUNCTIONS:
        raise ValueError(f"unknown function {name!r} (known: {', '.join(sorted(FUNCTIONS))})")
    args = [a.strip() for a in match["args"].split(",")] if match["args"] and match["args"].strip() else []
    try:
        call = FUNCTIONS[name](args)
    except ValueError as exc:
        raise ValueError(f"{text}: {exc}") from None
    if standard == "x12" and call.read is to_decimal:
        call = replace(call, read=to_decimal_point)
    return call
