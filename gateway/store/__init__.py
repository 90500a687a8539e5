"""The store: database models and sessions (SQLModel, Alembic), counters, and the raw-message archive."""

from gateway.store.archive import Archive, ArchiveCorrupted, ArchivedPayload, PruneReport
from gateway.store.counters import next_value
from gateway.store.engine import is_postgresql, make_engine, session_scope
from gateway.store.migrate import current_revision, head_revision, upgrade_database
from gateway.store.models import (
    AuditEntry,
    Counter,
    Direction,
    Discrepancy,
    Document,
    DocumentLine,
    DocumentMessage,
    MailboxStatus,
    Message,
    MessageEvent,
    MessageState,
    MessageType,
    ReplayJob,
    User,
    Worker,
    utcnow,
)

__all__ = [
    "Archive",
    "ArchiveCorrupted",
    "ArchivedPayload",
    "AuditEntry",
    "Counter",
    "Direction",
    "Discrepancy",
    "Document",
    "DocumentLine",
    "DocumentMessage",
    "MailboxStatus",
    "Message",
    "MessageEvent",
    "MessageState",
    "MessageType",
    "PruneReport",
    "ReplayJob",
    "User",
    "Worker",
    "current_revision",
    "head_revision",
    "is_postgresql",
    "make_engine",
    "next_value",
    "session_scope",
    "upgrade_database",
    "utcnow",
]
