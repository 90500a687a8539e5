"""What the stages of one message share: the :class:`Context`, the :data:`Stage` signature, the summary.

A stage is ``stage(session, message, context)``: it reads and writes the message row in its own
transaction (committed before the next stage begins), keeps what later stages need in the
context (the file's outline, the partner, the documents) and returns the :class:`Step` to run
next, or ``None`` when the message is finished. Stages never import each other: which function
runs a step is :data:`gateway.service.pipeline.run.STAGES`' business alone, so the order lives in
one table. A stage that finds the message cannot go on raises
:class:`~gateway.service.errors.StageError`; a problem that must not stop the later stages (one
bad transaction among good ones) is kept in ``context.problems`` and reported at the end.

A stage that returns its own :class:`Step` asks for a commit before it is called again: the store
stage works through a large file that way, a batch a transaction, with the message's checkpoint
(``Message.progress``: transactions read, documents stored, problems so far) written in each, so
a run that dies resumes after the last committed batch.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session

from gateway.canonical import CanonicalDocument
from gateway.config import PartnerProfile
from gateway.edi import ParsedFile, Position
from gateway.edi.model import AckResult, Transaction
from gateway.edi.verdict import FileVerdict
from gateway.service.errors import StageError
from gateway.service.hooks import Hook
from gateway.service.runtime import Runtime
from gateway.store.models import Document, Message


class Step(enum.Enum):
    """The stages, in their usual order; a stage returns the one to run next."""

    PARSE = "parse"
    IDENTIFY = "identify"
    DEDUPE = "dedupe"
    ACKNOWLEDGE = "acknowledge"
    TRANSLATE = "translate"
    STORE = "store"
    HOOKS = "hooks"
    FINISH = "finish"


#: ``stage(session, message, context) -> next step | None``
Stage = Callable[[Session, Message, "Context"], Step | None]


@dataclass(slots=True)
class Context:
    """One run of one message through the stages."""

    runtime: Runtime
    message_id: int
    actor: str
    hooks: Sequence[Hook]
    filename: str = ""
    path: Path | None = None
    #: the file's outline: envelopes, issues, each transaction's header segment only (parse stage)
    parsed: ParsedFile | None = None
    #: the transactions still to translate, read from the file one at a time (translate stage)
    stream: Iterator[Transaction] | None = None
    #: transactions of the file read so far (a resumed run starts at the message's checkpoint)
    done: int = 0
    #: documents stored so far by this message, this run and the checkpointed ones
    stored_count: int = 0
    #: ids of the documents stored by the last batch whose hooks are still to run
    owed: list[int] = field(default_factory=list)
    #: the documents of ``owed`` as stored (by id), so the hooks need not read them back
    owed_documents: dict[int, CanonicalDocument] = field(default_factory=dict)
    #: the rows of ``owed`` as stored, held (the session holds clean rows weakly): none read back
    owed_rows: dict[int, Document] = field(default_factory=dict)
    #: the stream is at its end (the last batch is stored)
    at_end: bool = False
    profile: PartnerProfile | None = None
    documents: list[CanonicalDocument] = field(default_factory=list)
    acks: list[AckResult] = field(default_factory=list)
    problems: list[StageError] = field(default_factory=list)
    stored: list[int] = field(default_factory=list)
    outcome: str | None = None
    #: interchanges (their index in the file) the dedupe stage found delivered before: not translated
    skip: set[int] = field(default_factory=set)
    #: what the 997/CONTRL accepts (:func:`gateway.edi.verdict.judge`; the translate stage)
    verdict: FileVerdict | None = None
    #: documents translated per interchange (its index in the file), this run and checkpointed ones
    per_interchange: dict[int, int] = field(default_factory=dict)
    #: each hook in a savepoint of its own, a failure noted (``False``: a hook's failure raises, the
    #: caller's savepoint holds the whole run: a batch's first try of a message, see ``batch``)
    isolate_hooks: bool = True

    @property
    def partner(self) -> PartnerProfile:
        """The sending partner (known from the identify stage on)."""
        assert self.profile is not None, "the partner is known only after identify"
        return self.profile


@dataclass(slots=True)
class ProcessSummary:
    """What processing one message produced (for logs, the CLI and tests)."""

    message_id: int
    state: str
    documents: list[int] = field(default_factory=list)
    error: str | None = None


def where(position: Position | None) -> dict[str, Any] | None:
    """A position as stored on the message (``error_position``)."""
    return position.as_dict() if position is not None else None
