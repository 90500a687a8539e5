"""The database tables (SQLModel): messages, their timeline, documents, lines, links, audit, counters.

Only runtime state lives here; configuration stays in files. Conventions:

- Every timestamp is UTC (``DateTime(timezone=True)``; SQLite hands them back naive, in UTC).
- States and directions are short strings (the :class:`MessageState` and :class:`Direction`
  values), not database enums, so a new state never needs a type migration.
- Structured values (error positions, control-number lists, canonical documents) are JSON.
- Money and quantities are ``Numeric(18, 4)`` and come back as :class:`~decimal.Decimal`.
- Every column the console searches on has an index (PO / shipment / invoice / RMA number,
  control number, filename, sha256, and state + partner + created_at for the lists); the
  document types of a message (a JSON list) are indexed through the derived ``message_types``.

The schema is created and changed only through the Alembic migrations in
``gateway/migrations`` (see :mod:`gateway.store.migrate`); a test of the store checks that
the migrations and these models agree.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel
from sqlmodel._compat import finish_init


def utcnow() -> datetime:
    """Now, in UTC (timezone-aware)."""
    return datetime.now(UTC)


def _ts(index: bool = False, nullable: bool = True) -> Any:
    return Field(default=None, sa_type=DateTime(timezone=True), index=index, nullable=nullable)


def _created() -> Any:
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)


def empty_list() -> list[Any]:
    """A new empty list: the default factory of a JSON list column.

    A plain function, not ``list``: pydantic inspects a default factory's signature each time it
    calls it (every row built without the value), and the builtin's costs about 80 µs, a
    function's about 5 -- a message has three such columns."""
    return []


def empty_dict() -> dict[str, Any]:
    """A new empty dict: the default factory of a JSON object column (see :func:`empty_list`)."""
    return {}


_FACTORIES: dict[Any, Any] = {list: empty_list, dict: empty_dict}


def _json(default: Any = None) -> Any:
    if default is None:
        return Field(default=None, sa_type=JSON, nullable=True)
    return Field(default_factory=_FACTORIES.get(default, default), sa_type=JSON, nullable=False)


_MONEY = Numeric(18, 4)


class Row(SQLModel):
    """The base of the tables written on every message: a constructor that only fills the fields.

    SQLModel builds a table row without validating it (``sqlmodel_table_construct``) but sets
    each field through ``setattr``: SQLAlchemy's attribute event and pydantic's ``__setattr__``
    a field, about 150 µs a :class:`Message` (40 fields). This constructor does what that one
    leaves behind, more directly: each field given, or its default (a default factory called),
    a field without either left unset; unknown keywords ignored; the fields given as the model's
    ``fields_set``. The values go into the instance's ``__dict__``, where SQLAlchemy's flush
    reads a new row's values (a new row has no history to keep) and pydantic reads them too.
    A constructor only: a row loaded by a query, or changed after it is built, is untouched.
    """

    def __init__(__pydantic_self__, **data: Any) -> None:
        if not finish_init.get():  # SQLModel's model_validate builds the instance first, then validates
            return
        values = __pydantic_self__.__dict__
        for name, factory, default, required in _plan(type(__pydantic_self__)):
            if name in data:
                values[name] = data[name]
            elif factory is not None:
                values[name] = factory()
            elif not required:
                values[name] = default
        object.__setattr__(__pydantic_self__, "__pydantic_fields_set__", set(data) & set(values))
        object.__setattr__(__pydantic_self__, "__pydantic_extra__", None)
        object.__setattr__(__pydantic_self__, "__pydantic_private__", None)


#: a :class:`Row` class -> (field, default factory, default, required) for each of its fields
_PLANS: dict[type, list[tuple[str, Any, Any, bool]]] = {}


def _plan(cls: type[SQLModel]) -> list[tuple[str, Any, Any, bool]]:
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = [
            (name, f.default_factory, f.get_default(call_default_factory=False), f.is_required())
            for name, f in cls.model_fields.items()
        ]
    return plan


#: a message state: 32 characters (``suspect_duplicate`` needs 17); SQLite does not enforce a
#: VARCHAR's length and keeps the 16 it was created with (migration 0021 widens PostgreSQL's)
_STATE = String(32).with_variant(String(16), "sqlite")


class Direction(enum.StrEnum):
    IN = "in"
    OUT = "out"


class MessageState(enum.StrEnum):
    """Where a message stands. Inbound: received -> parsed -> translated -> done (or duplicate / failed).
    Outbound: queued -> sending -> sent -> acknowledged | rejected (or failed); ``sending`` is
    recorded before the transport is touched, so a restart knows to look before sending again;
    queued -> blocked -> queued, queued | blocked -> cancelled."""

    RECEIVED = "received"
    PARSED = "parsed"
    DUPLICATE = "duplicate"
    #: inbound: an interchange identity seen before with different bytes; held for an operator
    SUSPECT_DUPLICATE = "suspect_duplicate"
    TRANSLATED = "translated"
    DONE = "done"
    FAILED = "failed"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    REJECTED = "rejected"
    RESOLVED = "resolved"  # a failure an operator settled (a corrected file, fixed at the source)
    IGNORED = "ignored"  # a failure an operator chose to leave alone, with a reason
    BLOCKED = "blocked"  # outbound: held at send, its document would now break a rule (see invoicing/at_send)
    CANCELLED = "cancelled"  # outbound: never to be sent (superseded, or cancelled by an operator)


class Message(Row, table=True):
    """One file received from or sent to a partner's mailbox, with where it stands."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_state_partner_created", "state", "partner", "created_at"),
        Index("ix_messages_partner_created", "partner", "created_at"),
        Index("ix_messages_interchange", "sender_id", "receiver_id", "interchange_control"),
        UniqueConstraint("receipt_key", name="uq_messages_receipt_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    direction: str = Field(max_length=3)
    partner: str | None = Field(default=None, max_length=64)
    mailbox: str | None = Field(default=None, max_length=64)
    filename: str | None = Field(default=None, max_length=255, index=True)
    #: the file name's own bytes when they are not UTF-8 (``filename`` holds the escaped form)
    name_bytes: bytes | None = Field(default=None, sa_type=LargeBinary, nullable=True)
    size: int = Field(default=0, sa_type=BigInteger)
    sha256: str = Field(max_length=64, index=True)
    archive_path: str = Field(max_length=255)
    standard: str | None = Field(default=None, max_length=16)
    interchange_control: str | None = Field(default=None, max_length=35, index=True)
    group_controls: list[str] = _json(list)
    transaction_controls: list[str] = _json(list)
    sender_qualifier: str | None = Field(default=None, max_length=4)
    sender_id: str | None = Field(default=None, max_length=35)
    receiver_qualifier: str | None = Field(default=None, max_length=4)
    receiver_id: str | None = Field(default=None, max_length=35)
    document_types: list[str] = _json(list)
    state: str = Field(default=MessageState.RECEIVED.value, sa_type=_STATE, nullable=False)
    error_stage: str | None = Field(default=None, max_length=32)
    error_code: str | None = Field(default=None, max_length=64)
    error_message: str | None = Field(default=None, sa_type=Text)
    error_position: dict[str, Any] | None = _json()
    attempts: int = 0
    remote_ref: str | None = Field(default=None, max_length=1024)
    duplicate_of_id: int | None = Field(default=None, foreign_key="messages.id")
    replay_of_id: int | None = Field(default=None, foreign_key="messages.id")
    corrects_id: int | None = Field(default=None, foreign_key="messages.id", index=True)
    ack_message_id: int | None = Field(default=None, foreign_key="messages.id")
    ack_detail: dict[str, Any] | None = _json()
    legal_hold: bool = False
    receipt_key: str | None = Field(default=None, max_length=64)
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = _ts()
    created_at: datetime = _created()
    updated_at: datetime = _created()
    next_attempt_at: datetime | None = _ts(index=True)
    completed_at: datetime | None = _ts()
    #: an unfinished run's checkpoint: {"transactions": read, "documents": stored, "problems": [...]}
    progress: dict[str, Any] | None = _json()
    #: each interchange's outcome once the message ends: [{"control": ..., "outcome": ..., ...}]
    interchanges: list[dict[str, Any]] | None = _json()


class InterchangeSeen(Row, table=True):
    """One interchange an inbound message carried: its identity and a digest of its own bytes.

    Written by the dedupe stage for each interchange a message goes on with, so an interchange
    that arrives again (alone or inside another file) is found by sender, receiver and ISA13/UNB5.
    """

    __tablename__ = "interchanges_seen"
    __table_args__ = (Index("ix_interchanges_seen_identity", "sender_id", "receiver_id", "control"),)

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(sa_column_args=[ForeignKey("messages.id", ondelete="CASCADE")], index=True)
    #: the interchange's 1-based place in its file
    position: int
    sender_id: str = Field(max_length=35)
    receiver_id: str = Field(max_length=35)
    control: str = Field(max_length=35)
    digest: str = Field(max_length=64)


class MessageType(SQLModel, table=True):
    """One document type a message carries (``850``, ``INVOIC``...): the index of the console's type filter.

    Derived from :attr:`Message.document_types` by the database itself: triggers written by
    migration 0005 fill it on every insert and on every update of that column, so no writer
    has to remember it. The key (type, message id) lets the list walk one type newest first.
    """

    __tablename__ = "message_types"

    document_type: str = Field(max_length=35, primary_key=True)
    message_id: int = Field(
        sa_column_args=[ForeignKey("messages.id", ondelete="CASCADE")], primary_key=True, index=True
    )


class MessageEvent(Row, table=True):
    """One step of a message's timeline: the state it reached, when, by whom, with a note."""

    __tablename__ = "message_events"

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="messages.id", index=True)
    at: datetime = _created()
    state: str = Field(sa_type=_STATE, nullable=False)
    actor: str | None = Field(default=None, max_length=64)
    note: str | None = Field(default=None, sa_type=Text)
    detail: dict[str, Any] | None = _json()


class Document(Row, table=True):
    """A canonical business document, unique per partner, type and business key; replaced by revisions."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("partner", "type", "business_key", name="uq_documents_partner_type_key"),
        Index("ix_documents_type_partner_date", "type", "partner", "document_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    partner: str = Field(max_length=64)
    type: str = Field(max_length=32)
    business_key: str = Field(max_length=128)
    revision: int = 1
    status: str | None = Field(default=None, max_length=16, index=True)
    data: dict[str, Any] = _json(dict)
    po_number: str | None = Field(default=None, max_length=64, index=True)
    shipment_id: str | None = Field(default=None, max_length=64, index=True)
    invoice_number: str | None = Field(default=None, max_length=64, index=True)
    rma_number: str | None = Field(default=None, max_length=64, index=True)
    document_date: date | None = None
    delivery_date: date | None = None
    currency: str | None = Field(default=None, max_length=3)
    total: Decimal | None = Field(default=None, sa_type=_MONEY)
    source_message_id: int | None = Field(default=None, foreign_key="messages.id", index=True)
    created_at: datetime = _created()
    updated_at: datetime = _created()


class DocumentLine(Row, table=True):
    """One line of a document, flattened for reconciliation and search (quantities as given, with uom)."""

    __tablename__ = "document_lines"
    __table_args__ = (Index("ix_document_lines_po_line", "po_number", "line_no"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="documents.id", index=True)
    line_no: str = Field(max_length=32)
    po_number: str | None = Field(default=None, max_length=64)
    asin: str | None = Field(default=None, max_length=32)
    ean: str | None = Field(default=None, max_length=32)
    upc: str | None = Field(default=None, max_length=32)
    vendor_sku: str | None = Field(default=None, max_length=64, index=True)
    buyer_sku: str | None = Field(default=None, max_length=64)
    sscc: str | None = Field(default=None, max_length=20)
    quantity: Decimal = Field(default=Decimal(0), sa_type=_MONEY)
    uom: str = Field(default="EA", max_length=8)
    case_size: Decimal | None = Field(default=None, sa_type=_MONEY)
    unit_price: Decimal | None = Field(default=None, sa_type=_MONEY)


class DocumentMessage(Row, table=True):
    """Which messages touched a document: ``source``, ``replaced`` (an earlier revision) or ``sent``."""

    __tablename__ = "document_messages"

    document_id: int = Field(foreign_key="documents.id", primary_key=True)
    message_id: int = Field(foreign_key="messages.id", primary_key=True, index=True)
    role: str = Field(default="source", max_length=16, primary_key=True)
    created_at: datetime = _created()


class AuditEntry(Row, table=True):
    """Who did what to which thing, when and why (replays, approvals, logins, status changes)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_target", "target_type", "target_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False, index=True)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=64)
    target_type: str | None = Field(default=None, max_length=32)
    target_id: str | None = Field(default=None, max_length=128)
    reason: str | None = Field(default=None, sa_type=Text)
    detail: dict[str, Any] | None = _json()


class Counter(SQLModel, table=True):
    """A per-partner sequence (ISA13, GS06, ST02, UNB5, invoice numbers). Use :func:`next_value`."""

    __tablename__ = "counters"

    partner: str = Field(max_length=64, primary_key=True)
    name: str = Field(max_length=32, primary_key=True)
    value: int = Field(default=0, sa_type=BigInteger)
    updated_at: datetime = _created()


class Discrepancy(SQLModel, table=True):
    """A reconciliation finding; ``key`` identifies it so re-running updates instead of duplicating."""

    __tablename__ = "discrepancies"
    __table_args__ = (Index("ix_discrepancies_status_partner", "status", "partner", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=255, unique=True)
    partner: str = Field(max_length=64)
    kind: str = Field(max_length=48)
    severity: str = Field(default="error", max_length=16)
    status: str = Field(default="open", max_length=16)
    po_number: str | None = Field(default=None, max_length=64, index=True)
    shipment_id: str | None = Field(default=None, max_length=64, index=True)
    invoice_number: str | None = Field(default=None, max_length=64, index=True)
    rma_number: str | None = Field(default=None, max_length=64)
    line_no: str | None = Field(default=None, max_length=32)
    expected: str | None = Field(default=None, max_length=255)
    actual: str | None = Field(default=None, max_length=255)
    amount_at_risk: Decimal | None = Field(default=None, sa_type=_MONEY)
    currency: str | None = Field(default=None, max_length=3)
    detail: dict[str, Any] | None = _json()
    notes: list[dict[str, Any]] = _json(list)
    created_at: datetime = _created()
    updated_at: datetime = _created()
    resolved_at: datetime | None = _ts()


class User(SQLModel, table=True):
    """A console user: viewer, operator or admin; only a password hash is stored."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    password_hash: str = Field(max_length=255)
    role: str = Field(default="viewer", max_length=16)
    api_token_hash: str | None = Field(default=None, max_length=128, index=True)
    api_token_expires_at: datetime | None = _ts()
    disabled: bool = False
    created_at: datetime = _created()
    last_login_at: datetime | None = _ts()


class ConsoleSession(SQLModel, table=True):
    """A console login, held on the server: the cookie carries a random id whose SHA-256 is ``id``.

    Logout, a password change and disabling the user revoke it; a cookie replayed after that
    finds its row revoked and is refused.
    """

    __tablename__ = "console_sessions"

    id: str = Field(max_length=64, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    created_at: datetime = _created()
    expires_at: datetime = _created()
    revoked_at: datetime | None = _ts()


class MailboxStatus(Row, table=True):
    """The health of one mailbox as the scheduler last saw it (one row per partner and mailbox)."""

    __tablename__ = "mailbox_status"

    partner: str = Field(max_length=64, primary_key=True)
    mailbox: str = Field(max_length=64, primary_key=True)
    last_poll_at: datetime | None = _ts()
    last_success_at: datetime | None = _ts()
    last_error_at: datetime | None = _ts()
    last_error: str | None = Field(default=None, sa_type=Text)
    consecutive_failures: int = 0
    next_run_at: datetime | None = _ts()
    last_duration_ms: int | None = None
    polls: int = Field(default=0, sa_type=BigInteger)
    errors: int = Field(default=0, sa_type=BigInteger)
    received: int = Field(default=0, sa_type=BigInteger)
    sent: int = Field(default=0, sa_type=BigInteger)
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = _ts()
    updated_at: datetime = _created()
    #: inbox entries ACORN does not read (dot-files, symlinks, folders): ``[{name, why}]``
    unread_entries: list[dict[str, str]] | None = _json()


class Worker(SQLModel, table=True):
    """A running gateway process: the scheduler beats its heart here (``/healthz`` reads it)."""

    __tablename__ = "workers"

    id: str = Field(max_length=128, primary_key=True)
    started_at: datetime = _created()
    heartbeat_at: datetime = _created()
    stopped_at: datetime | None = _ts()
    version: str | None = Field(default=None, max_length=32)


class ReplayJob(SQLModel, table=True):
    """A bulk replay and how far it got, written after every batch (the console's job pages read it).

    ``owner`` is the console process running it (``host:pid``) and ``heartbeat_at`` the end of
    its last batch: a ``running`` job whose owner is gone is shown as ``interrupted``.
    """

    __tablename__ = "replay_jobs"

    id: str = Field(max_length=32, primary_key=True)
    partner: str | None = Field(default=None, max_length=64, index=True)
    actor: str = Field(max_length=64)
    reason: str = Field(sa_type=Text)
    since: datetime | None = _ts()
    state: str = Field(default="running", max_length=16)
    total: int = 0
    processed: int = 0
    succeeded: int = 0
    failed: int = 0
    error: str | None = Field(default=None, sa_type=Text)
    errors: list[dict[str, Any]] = _json(list)
    owner: str = Field(max_length=128)
    audit_id: int | None = None
    started_at: datetime = Field(
        default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False, index=True
    )
    heartbeat_at: datetime = _created()
    finished_at: datetime | None = _ts()


class ArchivedBlob(SQLModel, table=True):
    """A payload of the database archive (``archive_backend: database``): its hash, size and age.

    The bytes are the blob's :class:`ArchivedChunk` rows, 1 MiB each, so a payload of any size is
    written and read in pieces; ``touched_at`` is what retention counts from (storing the same
    bytes again refreshes it), as the folder archive's file modification time is.
    """

    __tablename__ = "archive_blobs"

    sha256: str = Field(max_length=64, primary_key=True)
    size: int = Field(default=0, sa_type=BigInteger)
    chunks: int = 0
    stored_at: datetime = _created()
    touched_at: datetime = Field(
        default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False, index=True
    )


class ArchivedChunk(SQLModel, table=True):
    """One piece (``seq`` from 0) of an archived blob's bytes."""

    __tablename__ = "archive_chunks"

    sha256: str = Field(max_length=64, primary_key=True, foreign_key="archive_blobs.sha256")
    seq: int = Field(primary_key=True)
    data: bytes = Field(sa_type=LargeBinary)


class ShipNoticeRecord(Row, table=True):
    """A ship notice we built for a partner (856 / DESADV): queued, or blocked with its reasons.

    ``source_shipment_id`` is the warehouse's ASN it was built from; ``labels_key`` the archive
    key of its carton labels (PDF). Our own notices are not ``shipment`` documents, so
    reconciliation counts what shipped once (the warehouse's ASN).
    """

    __tablename__ = "ship_notices"
    __table_args__ = (UniqueConstraint("partner", "shipment_id", name="uq_ship_notices_partner_shipment"),)

    id: int | None = Field(default=None, primary_key=True)
    partner: str = Field(max_length=64, index=True)
    shipment_id: str = Field(max_length=64)
    source_shipment_id: str = Field(max_length=64, index=True)
    po_numbers: list[str] = _json(list)
    status: str = Field(default="queued", max_length=16)
    reasons: list[dict[str, Any]] = _json(list)
    message_id: int | None = Field(default=None, foreign_key="messages.id", index=True)
    labels_key: str | None = Field(default=None, max_length=255)
    created_at: datetime = _created()


class InventoryFeedRecord(SQLModel, table=True):
    """An inventory and cost feed (846) we built for a partner: queued, or blocked with its reasons.

    ``slot`` is the schedule's slot it was sent for (``2026-12-04T00``) or ``now-<moment>`` for
    one sent by hand; unique per partner, so a slot is sent once across restarts. ``feed_id`` is
    the availability feed it was built from.
    """

    __tablename__ = "inventory_feeds"
    __table_args__ = (UniqueConstraint("partner", "slot", name="uq_inventory_feeds_partner_slot"),)

    id: int | None = Field(default=None, primary_key=True)
    partner: str = Field(max_length=64, index=True)
    slot: str = Field(max_length=40)
    feed_id: str | None = Field(default=None, max_length=255)
    status: str = Field(default="queued", max_length=16)
    reasons: list[dict[str, Any]] = _json(list)
    message_id: int | None = Field(default=None, foreign_key="messages.id", index=True)
    created_at: datetime = _created()


class SsccUse(Row, table=True):
    """An SSCC a ship notice of ours carried (each unique per partner for 365 days, AMAZON-RULES.md)."""

    __tablename__ = "sscc_uses"
    __table_args__ = (Index("ix_sscc_uses_partner_sscc", "partner", "sscc"),)

    id: int | None = Field(default=None, primary_key=True)
    partner: str = Field(max_length=64)
    sscc: str = Field(max_length=20)
    shipment_id: str = Field(max_length=64)
    created_at: datetime = _created()
