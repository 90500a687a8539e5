"""An availability feed received as CSV from an ERP or a warehouse, through its mailbox.

Like canonical XML (:mod:`gateway.service.xml_inbound`), a CSV has no envelope to say who sent
it: its partner is the owner of the mailbox it came through, and that partner's profile must
list the types it may send this way (``accept_csv: [availability]``). A file is taken as CSV
by its name (``*.csv``). The feed is read by
:func:`gateway.canonical.availability_csv.availability_from_csv` (its id is the file's name
without the suffix, its moment the message's receipt unless the feed has an ``as_of`` column);
any problem fails the message with every row and column at fault listed. No acknowledgement.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import PurePath

from gateway.canonical import CanonicalDocument
from gateway.canonical.availability_csv import AvailabilityCsvError, availability_from_csv
from gateway.config import PartnerDirectory, PartnerProfile
from gateway.service.errors import StageCode, StageError
from gateway.service.xml_inbound import mailbox_owner


def is_csv_name(filename: str | None) -> bool:
    """Whether a received file is taken as CSV: its name ends in ``.csv`` (any case)."""
    return bool(filename) and PurePath(filename or "").suffix.lower() == ".csv"


def read_csv_message(
    partners: PartnerDirectory,
    partner: str | None,
    filename: str,
    data: bytes,
    message_id: int,
    received_at: datetime | None = None,
) -> tuple[PartnerProfile, CanonicalDocument]:
    """The sending partner and the availability of a CSV message. Raises a parse-stage error."""
    profile = mailbox_owner(partners, partner, filename, "a CSV")
    if "availability" not in profile.accept_csv:
        raise StageError(
            StageCode.CSV_NOT_ACCEPTED,
            f"{filename}: {profile.name} may not send CSV; to take its availability feed, add "
            "accept_csv: [availability] to its profile",
            stage="parse",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise StageError(
            StageCode.CSV_INVALID, f"{filename}: not UTF-8 text (byte {exc.start})", stage="parse"
        ) from None
    moment = received_at or datetime.now(UTC)
    try:
        doc = availability_from_csv(text, PurePath(filename).stem, moment, profile.name)
    except AvailabilityCsvError as exc:
        raise StageError(StageCode.CSV_INVALID, f"{filename}: {exc}", stage="parse") from None
    return profile, doc.model_copy(update={"source_message_id": message_id})
