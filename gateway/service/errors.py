"""Why a message failed: :class:`StageCode`, the stable codes of the stages, and :class:`StageError`.

:class:`~gateway.edi.errors.IssueCode` names what the syntax layer finds in the bytes (an SE count,
a bad ISA); :class:`StageCode` names what a later stage finds (no partner sends with this id, no
mapping for this 856, the archive lost the file). A message's ``error_code`` is always one of
the two, and ``error_stage`` says which stage raised it (shown in the console: "Error in
partner"). Each code belongs to one stage; a code raised by another stage says so
(``StageError(StageCode.UNKNOWN_PARTNER, ..., stage="parse")`` for canonical XML).
"""

from __future__ import annotations

import enum
from typing import Any

from gateway.edi import IssueCode


class StageCode(enum.Enum):
    """Stable identifiers of every failure a stage of the service records on a message."""

    # archive
    ARCHIVE_MISSING = "ARCHIVE_MISSING"
    # parse (EDI envelopes, or canonical XML)
    NO_INTERCHANGE = "NO_INTERCHANGE"
    XML_NOT_ACCEPTED = "XML_NOT_ACCEPTED"
    XML_INVALID = "XML_INVALID"
    CSV_NOT_ACCEPTED = "CSV_NOT_ACCEPTED"
    CSV_INVALID = "CSV_INVALID"
    # partner
    UNKNOWN_PARTNER = "UNKNOWN_PARTNER"
    MIXED_SENDERS = "MIXED_SENDERS"
    WRONG_MAILBOX = "WRONG_MAILBOX"
    # acknowledge
    ACK_UNWRITABLE = "ACK_UNWRITABLE"
    # translate
    BAD_ACKNOWLEDGEMENT = "BAD_ACKNOWLEDGEMENT"
    NO_MAPPING = "NO_MAPPING"
    MAPPING_MISFIT = "MAPPING_MISFIT"
    MAPPING_BROKEN = "MAPPING_BROKEN"
    # send
    SEND_FAILED = "SEND_FAILED"
    AS2_MDN_NEGATIVE = "AS2_MDN_NEGATIVE"
    # a bug: the message fails, the gateway goes on
    INTERNAL_ERROR = "INTERNAL_ERROR"

    @property
    def stage(self) -> str:
        """The stage this code belongs to (``error_stage`` of a message that fails with it)."""
        return _STAGES[self]


_STAGES: dict[StageCode, str] = {
    StageCode.ARCHIVE_MISSING: "archive",
    StageCode.NO_INTERCHANGE: "parse",
    StageCode.XML_NOT_ACCEPTED: "parse",
    StageCode.XML_INVALID: "parse",
    StageCode.CSV_NOT_ACCEPTED: "parse",
    StageCode.CSV_INVALID: "parse",
    StageCode.UNKNOWN_PARTNER: "partner",
    StageCode.MIXED_SENDERS: "partner",
    StageCode.WRONG_MAILBOX: "partner",
    StageCode.ACK_UNWRITABLE: "acknowledge",
    StageCode.BAD_ACKNOWLEDGEMENT: "translate",
    StageCode.NO_MAPPING: "translate",
    StageCode.MAPPING_MISFIT: "translate",
    StageCode.MAPPING_BROKEN: "translate",
    StageCode.SEND_FAILED: "send",
    StageCode.AS2_MDN_NEGATIVE: "send",
    StageCode.INTERNAL_ERROR: "internal",
}


class StageError(Exception):
    """A stage failed: a ``code``, a readable ``message`` naming the file, and a ``position``.

    ``stage`` is the code's own stage unless given; an :class:`IssueCode` belongs to ``envelope``.
    """

    def __init__(
        self,
        code: StageCode | IssueCode,
        message: str,
        position: dict[str, Any] | None = None,
        *,
        stage: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.position = position
        self.stage = stage or (code.stage if isinstance(code, StageCode) else "envelope")
