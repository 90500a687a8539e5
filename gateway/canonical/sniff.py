"""Tell canonical XML from EDI by a file's first bytes, without importing the XML machinery.

An ERP or a warehouse that does not speak EDI sends canonical XML; EDI never starts with ``<``.
The reader of such files is :mod:`gateway.canonical.xml` (lxml and the XSD): callers sniff first
and import it only for XML.
"""

from __future__ import annotations

from pathlib import Path

#: bytes read to tell XML from EDI
SNIFF_BYTES = 64


def is_xml(data: bytes) -> bool:
    """Whether ``data`` starts like XML (``<``, after a byte-order mark and white space); EDI never does."""
    return data[:SNIFF_BYTES].removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<")


def looks_like_xml(path: Path) -> bool:
    """:func:`is_xml` for a file, reading only its first bytes."""
    with path.open("rb") as handle:
        return is_xml(handle.read(SNIFF_BYTES))
