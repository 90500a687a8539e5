"""The shape of mapping files, as pydantic models (checked before anything is compiled).

Three kinds of file share one ``version: 1`` format:

- an **inbound mapping** (``direction: inbound``): ``fields`` says which element fills
  which canonical field;
- an **outbound mapping** (``direction: outbound``): ``segments`` says which canonical
  field fills which element;
- an **overlay** (``overlay: <base mapping name>``): changes a base mapping without
  copying it (a partner's differences, or a version that differs in two fields).

Rules inside ``fields`` and segment entries are checked by :class:`ValueRule`,
:class:`GroupRule` and :class:`ElementRule` one by one in ``loader.py``, so that each
problem points at its own line. Every model forbids unknown keys.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Scalar = str | int | float | bool


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class Hierarchy(_Strict):
    """How hierarchy segments link: X12 HL01 id, HL02 parent id, HL03 level code."""

    segment: str = "HL"
    id: int = 1
    parent: int = 2
    level: int = 3


class _Header(_Strict):
    version: Literal[1]
    description: str = ""
    standard: Literal["x12", "edifact"]
    document: str = Field(min_length=2, max_length=6)
    versions: list[str] = Field(min_length=1)
    canonical: str
    codes: dict[str, dict[str, Scalar | list[Scalar] | None]] = {}


class InboundFile(_Header):
    direction: Literal["inbound"]
    hierarchy: Hierarchy | None = None
    fields: dict[str, Any]


class OutboundFile(_Header):
    direction: Literal["outbound"]
    message_version: str | list[str] | None = None
    segments: list[dict[str, Any]] = Field(min_length=1)


class OverlayFile(_Strict):
    version: Literal[1]
    overlay: str
    description: str = ""
    versions: list[str] | None = None
    codes: dict[str, dict[str, Scalar | list[Scalar] | None]] = {}
    fields: dict[str, Any] = {}
    remove: list[str] = []
    add: list[dict[str, Any]] = []
    replace: dict[str, dict[str, Any]] = {}


class CodesFile(_Strict):
    version: Literal[1]
    description: str = ""
    codes: dict[str, dict[str, Scalar | list[Scalar] | None]]


class ValueRule(_Strict):
    """Inbound: where one canonical value comes from."""

    path: str | list[str] | None = None
    const: Scalar | None = None
    default: Scalar | None = None
    required: bool = False
    convert: str | list[str] | None = None
    code: str | None = None
    up: str | None = None
    within: str | None = None
    members: list[str] | None = None
    all: bool = False
    skip_unknown: bool = False
    fallback: Literal["index", "partner"] | None = None


class GroupRule(_Strict):
    """Inbound: a nested object (``within``) or a list of objects (``each`` / ``level``)."""

    within: str | None = None
    each: str | None = None
    level: str | list[str] | None = None
    until: list[str] = []
    members: list[str] | None = None
    having: str | None = None
    after: str | None = None
    before: str | None = None
    direct: bool = False
    required: bool = False
    fields: dict[str, Any]


class ElementRule(_Strict):
    """Outbound: what one element (or component) of a segment holds."""

    field: str | None = None
    const: Scalar | None = None
    default: Scalar | None = None
    required: bool = False
    convert: str | list[str] | None = None
    code: str | None = None
    count: str | None = None
    sum: str | None = None
    multiply: list[str] | None = None
    index: bool = False
    with_: str | None = Field(default=None, alias="with")


class When(_Strict):
    field: str
    is_: Scalar | None = Field(default=None, alias="is")
    in_: list[Scalar] | None = Field(default=None, alias="in")
    not_: Scalar | None = Field(default=None, alias="not")
    present: bool | None = None


class SegmentControls(_Strict):
    """Outbound: the lower-case keys of a segment entry (the segment itself is its TAG key)."""

    id: str | None = None
    each: str | None = None
    when: str | When | None = None
    always: bool = False
    segments: list[dict[str, Any]] | None = None
    after: str | None = None
    before: str | None = None
