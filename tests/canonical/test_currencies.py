"""The ISO 4217 list."""

from __future__ import annotations

from gateway.canonical.currencies import ISO_4217


def test_every_code_is_three_upper_case_letters() -> None:
    assert all(len(code) == 3 and code.isalpha() and code.isupper() for code in ISO_4217)


def test_common_codes_are_in_and_placeholders_are_out() -> None:
    assert {"USD", "EUR", "GBP", "JPY", "CAD", "MXN", "INR", "AUD"} <= ISO_4217
    assert not {"XXX", "XTS"} & ISO_4217
