"""Errors and issues of the EDI syntax layer.

Problems found while reading EDI are *data*: an :class:`Issue` carries a stable
:class:`IssueCode`, a readable message, a :class:`Severity` and a :class:`Position`
saying exactly where the problem sits (interchange, group, transaction, segment
ordinal in the file, segment tag, element, component).

Validators yield issues and keep going. Only problems that make further reading
impossible (no envelope at all, a truncated ISA, unreadable bytes) are raised, as an
:class:`EdiError` that holds the same :class:`Issue`.

The codes are shared by X12 and EDIFACT so that acknowledgements (997 AK5/AK9,
CONTRL UCI/UCM) and the store can treat them alike.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Severity(enum.Enum):
    """How bad an issue is: errors reject the envelope they sit in, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


class IssueCode(enum.Enum):
    """Stable identifiers of every problem the syntax layer reports."""

    # Input as a whole
    EMPTY_INPUT = "EMPTY_INPUT"
    BINARY_INPUT = "BINARY_INPUT"
    UNKNOWN_FORMAT = "UNKNOWN_FORMAT"
    TRUNCATED_INPUT = "TRUNCATED_INPUT"
    SEGMENT_OUTSIDE_ENVELOPE = "SEGMENT_OUTSIDE_ENVELOPE"
    EMPTY_SEGMENT = "EMPTY_SEGMENT"
    BAD_SEGMENT_TAG = "BAD_SEGMENT_TAG"

    # X12 interchange
    X12_ISA_TRUNCATED = "X12_ISA_TRUNCATED"
    X12_ISA_INVALID = "X12_ISA_INVALID"
    X12_BAD_DELIMITERS = "X12_BAD_DELIMITERS"
    X12_IEA_MISSING = "X12_IEA_MISSING"
    X12_IEA_COUNT_MISMATCH = "X12_IEA_COUNT_MISMATCH"
    X12_IEA_CONTROL_MISMATCH = "X12_IEA_CONTROL_MISMATCH"
    X12_UNEXPECTED_IEA = "X12_UNEXPECTED_IEA"
    # X12 functional group
    X12_GS_INVALID = "X12_GS_INVALID"
    X12_GE_MISSING = "X12_GE_MISSING"
    X12_GE_COUNT_MISMATCH = "X12_GE_COUNT_MISMATCH"
    X12_GE_CONTROL_MISMATCH = "X12_GE_CONTROL_MISMATCH"
    X12_UNEXPECTED_GE = "X12_UNEXPECTED_GE"
    X12_GS_OUTSIDE_INTERCHANGE = "X12_GS_OUTSIDE_INTERCHANGE"
    # X12 transaction set
    X12_ST_INVALID = "X12_ST_INVALID"
    X12_SE_MISSING = "X12_SE_MISSING"
    X12_SE_COUNT_MISMATCH = "X12_SE_COUNT_MISMATCH"
    X12_SE_CONTROL_MISMATCH = "X12_SE_CONTROL_MISMATCH"
    X12_UNEXPECTED_SE = "X12_UNEXPECTED_SE"
    X12_ST_OUTSIDE_GROUP = "X12_ST_OUTSIDE_GROUP"

    # EDIFACT
    EDIFACT_UNA_INVALID = "EDIFACT_UNA_INVALID"
    EDIFACT_UNB_INVALID = "EDIFACT_UNB_INVALID"
    EDIFACT_UNB_MISSING = "EDIFACT_UNB_MISSING"
    EDIFACT_UNZ_MISSING = "EDIFACT_UNZ_MISSING"
    EDIFACT_UNZ_COUNT_MISMATCH = "EDIFACT_UNZ_COUNT_MISMATCH"
    EDIFACT_UNZ_CONTROL_MISMATCH = "EDIFACT_UNZ_CONTROL_MISMATCH"
    EDIFACT_UNEXPECTED_UNZ = "EDIFACT_UNEXPECTED_UNZ"
    EDIFACT_UNG_INVALID = "EDIFACT_UNG_INVALID"
    EDIFACT_UNE_MISSING = "EDIFACT_UNE_MISSING"
    EDIFACT_UNE_COUNT_MISMATCH = "EDIFACT_UNE_COUNT_MISMATCH"
    EDIFACT_UNE_CONTROL_MISMATCH = "EDIFACT_UNE_CONTROL_MISMATCH"
    EDIFACT_UNEXPECTED_UNE = "EDIFACT_UNEXPECTED_UNE"
    EDIFACT_UNH_INVALID = "EDIFACT_UNH_INVALID"
    EDIFACT_UNT_MISSING = "EDIFACT_UNT_MISSING"
    EDIFACT_UNT_COUNT_MISMATCH = "EDIFACT_UNT_COUNT_MISMATCH"
    EDIFACT_UNT_CONTROL_MISMATCH = "EDIFACT_UNT_CONTROL_MISMATCH"
    EDIFACT_UNEXPECTED_UNT = "EDIFACT_UNEXPECTED_UNT"
    EDIFACT_DANGLING_RELEASE = "EDIFACT_DANGLING_RELEASE"


@dataclass(frozen=True, slots=True)
class Position:
    """Where something sits in an EDI file.

    All ordinals are 1-based. ``interchange``, ``group`` and ``transaction`` count
    envelopes from the start of the file (``group`` and ``transaction`` restart in each
    interchange / group). ``segment`` is the ordinal of the segment in the whole file,
    so a console can highlight it; ``tag`` is that segment's tag. ``element`` and
    ``component`` narrow it down where known. ``offset`` is the character offset of
    the segment's start in the decoded text, where known.
    """

    interchange: int | None = None
    group: int | None = None
    transaction: int | None = None
    segment: int | None = None
    tag: str | None = None
    element: int | None = None
    component: int | None = None
    offset: int | None = None

    def describe(self) -> str:
        """A short human description such as ``interchange 1, group 2, segment 14 (SE), element 1``."""
        parts: list[str] = []
        if self.interchange is not None:
            parts.append(f"interchange {self.interchange}")
        if self.group is not None:
            parts.append(f"group {self.group}")
        if self.transaction is not None:
            parts.append(f"transaction {self.transaction}")
        if self.segment is not None:
            seg = f"segment {self.segment}"
            if self.tag:
                seg += f" ({self.tag})"
            parts.append(seg)
        elif self.tag:
            parts.append(f"segment {self.tag}")
        if self.element is not None:
            el = f"element {self.element:02d}"
            if self.component is not None:
                el += f"-{self.component}"
            parts.append(el)
        if not parts and self.offset is not None:
            parts.append(f"offset {self.offset}")
        return ", ".join(parts) if parts else "start of input"

    def as_dict(self) -> dict[str, int | str | None]:
        return {
            "interchange": self.interchange,
            "group": self.group,
            "transaction": self.transaction,
            "segment": self.segment,
            "tag": self.tag,
            "element": self.element,
            "component": self.component,
            "offset": self.offset,
        }


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found in an EDI file."""

    code: IssueCode
    message: str
    position: Position = field(default_factory=Position)
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        return f"{self.code.value} at {self.position.describe()}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code.value,
            "message": self.message,
            "severity": self.severity.value,
            "position": self.position.as_dict(),
        }


class EdiError(Exception):
    """A problem that stops reading. Holds the :class:`Issue` that describes it."""

    def __init__(self, issue: Issue, source: str | None = None) -> None:
        self.issue = issue
        self.source = source
        prefix = f"{source}: " if source else ""
        super().__init__(f"{prefix}{issue}")

    @property
    def code(self) -> IssueCode:
        return self.issue.code

    @property
    def position(self) -> Position:
        return self.issue.position
