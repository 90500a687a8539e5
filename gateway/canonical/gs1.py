"""GS1 numbers: the SSCC-18 and its mod-10 check digit (AMAZON-RULES.md, 856 and labels).

An SSCC is an extension digit, a GS1 company prefix and a serial reference (17 digits in
all), then a check digit: from the right of the 17, digits are weighted 3, 1, 3, 1... and
the check digit brings the weighted sum up to a multiple of ten. On the wire (MAN*GM, GIN+BJ)
and on the carton label it is written with its application identifier ``00`` in front, 20
characters. This is the one home of that rule: the ASN pre-check, reconciliation of
inbound ASNs and the carton labels all call it.
"""

from __future__ import annotations

#: The GS1 application identifier of an SSCC.
SSCC_AI = "00"


def check_digit(body: str) -> int:
    """The GS1 mod-10 check digit of the digits ``body`` (17 for an SSCC).

    Raises :class:`ValueError` when ``body`` is empty or not all ASCII digits.
    """
    if not body or not (body.isascii() and body.isdigit()):
        raise ValueError(f"{body!r} is not a string of digits")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def sscc_is_valid(sscc: str) -> bool:
    """Whether ``sscc`` (18 digits, or 20 with the ``00`` in front) has its right check digit."""
    digits = sscc[2:] if len(sscc) == 20 and sscc.startswith(SSCC_AI) else sscc
    if len(digits) != 18 or not (digits.isascii() and digits.isdigit()):
        return False
    return check_digit(digits[:17]) == int(digits[17])


def make_sscc(extension: int, company_prefix: str, serial: int) -> str:
    """The 18-digit SSCC of ``extension`` (0-9), ``company_prefix`` and ``serial``, check digit added.

    Raises :class:`ValueError` when the parts do not fit 17 digits.
    """
    if not 0 <= extension <= 9:
        raise ValueError(f"extension digit {extension} is not 0-9")
    room = 16 - len(company_prefix)
    if room < 1 or not company_prefix.isdigit():
        raise ValueError(f"GS1 company prefix {company_prefix!r} must be 6 to 15 digits")
    if not 0 <= serial < 10**room:
        raise ValueError(f"serial {serial} does not fit {room} digits beside prefix {company_prefix}")
    body = f"{extension}{company_prefix}{serial:0{room}d}"
    return body + str(check_digit(body))


def with_ai(sscc: str) -> str:
    """The SSCC as written on the wire and on the label: ``00`` + 18 digits."""
    return sscc if len(sscc) == 20 else SSCC_AI + sscc
