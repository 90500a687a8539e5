"""The base classes of the canonical models: strict on input, stable on output.

``CanonicalModel`` forbids unknown fields (a mapping that fills a field that does not exist
fails loudly) and strips strings. ``CanonicalDocument`` adds what every document carries (its
``type`` key, the partner, the id of the message it came from) and the JSON contract of issue
3: :meth:`CanonicalDocument.to_json_dict` gives decimals as strings, dates as ``YYYY-MM-DD``,
absent values as ``null`` and the ``type`` key first; :meth:`CanonicalDocument.from_json_dict`
reads it back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, ValidationInfo

if TYPE_CHECKING:
    from gateway.canonical.parties import Party


class CanonicalModel(BaseModel):
    """A part of a canonical document. Unknown fields are refused."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, coerce_numbers_to_str=True, validate_assignment=True
    )


class CanonicalDocument(CanonicalModel):
    """A whole business document. Subclasses define ``type`` as a ``Literal`` of their key."""

    #: the registry key of the document type (``purchase_order``, ``shipment``...)
    type_key: ClassVar[str] = ""

    partner: str | None = None
    source_message_id: int | None = None

    def maybe_party(self, role: str) -> Party | None:
        """The first party with ``role`` (``ship_to``, ``remit_to``...), or ``None``."""
        return next((p for p in getattr(self, "parties", []) if p.role == role), None)

    def to_json_dict(self) -> dict[str, Any]:
        """The document in the JSON contract shape (``type`` first, decimals as strings)."""
        data = self.model_dump(mode="json")
        return {"type": data.pop("type"), **data}

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> Self:
        """A document from its JSON contract shape. Raises ``pydantic.ValidationError``."""
        return cls.model_validate(data)


def count_matches_lines(value: int | None, info: ValidationInfo, noun: str) -> int | None:
    """The rule of a ``line_count`` field (CTT01, CNT+2): it equals the number of ``lines``.

    Run as a validator of ``line_count`` itself (declared after ``lines``), so an error is
    located at that field, and so at the segment that carried it.
    """
    lines = info.data.get("lines")
    if value is not None and lines is not None and value != len(lines):
        raise ValueError(f"line_count is {value} but the {noun} has {len(lines)} lines")
    return value
