"""The GS1 mod-10 check digit of an SSCC-18: known values, and properties over generated serials."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.canonical.gs1 import check_digit, make_sscc, sscc_is_valid, with_ai


def test_known_sscc_check_digits() -> None:
    # GS1's own example: 0 0614141 123456789 -> check digit 0
    assert check_digit("00614141123456789") == 0
    assert sscc_is_valid("006141411234567890")
    assert sscc_is_valid("00006141411234567890")  # with the (00) application identifier
    assert not sscc_is_valid("006141411234567891")
    assert not sscc_is_valid("0061414112345678")  # too short
    assert with_ai("006141411234567890") == "00006141411234567890"


def test_bad_input_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="not a string of digits"):
        check_digit("12a")
    with pytest.raises(ValueError, match="does not fit"):
        make_sscc(0, "0840012345", 10**7)


@given(
    st.integers(0, 9),
    st.text(alphabet="0123456789", min_size=7, max_size=10),
    st.integers(0, 99_999),
)
def test_a_made_sscc_is_valid_and_any_single_digit_change_is_caught(
    ext: int, prefix: str, serial: int
) -> None:
    sscc = make_sscc(ext, prefix, serial)
    assert len(sscc) == 18 and sscc_is_valid(sscc)
    for pos in range(18):
        for digit in "0123456789":
            if digit != sscc[pos]:
                changed = sscc[:pos] + digit + sscc[pos + 1 :]
                assert not sscc_is_valid(changed)
