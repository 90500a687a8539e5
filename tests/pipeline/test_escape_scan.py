"""The one scan of :func:`gateway.common.text.escape_text` finds exactly the characters it escapes."""

from __future__ import annotations

from gateway.common import text


def test_the_scan_finds_every_character_that_needs_escaping_and_no_other() -> None:
    for code in range(0x110000):
        ch = chr(code)
        assert (text._NEEDS_ESCAPE.search(ch) is not None) == text._needs_escape(ch), hex(code)


def test_plain_text_comes_back_as_it_is_and_the_rest_escaped() -> None:
    note = "sent through amazon-us/local as amazon-us_810_20260116.edi — ünïcode kept"
    assert text.escape_text(note) is note
    assert text.escape_text("a\nb\udcffc\u2028") == "a\\nb\\xffc\\u2028"
    assert text.escape_text("a\nb\tc\r", multiline=True) == "a\nb\tc\\r"
