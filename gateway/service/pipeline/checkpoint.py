"""A message's checkpoint: how far an unfinished run got, so a crash resumes there.

``Message.progress`` holds the transactions of the file read so far, the documents stored (in all
and per interchange) and the problems found (each as code, text, position and stage). The store
stage writes it in the same transaction as each batch of documents, so it always says exactly
what is committed: a run that dies re-reads the file, skips the transactions already read and
goes on, storing nothing twice and losing nothing. The message's end (done or failed) forgets it.
"""

from __future__ import annotations

from typing import Any

from gateway.edi.errors import IssueCode
from gateway.service.errors import StageCode, StageError
from gateway.service.pipeline.context import Context
from gateway.store.models import Message


def take_up(message: Message, context: Context, *, resume: bool) -> None:
    """Start ``context`` where the message's checkpoint says (``resume``), or forget it."""
    progress = message.progress if resume else None
    message.progress = progress
    if not progress:
        return
    context.done = int(progress.get("transactions", 0))
    context.stored_count = int(progress.get("documents", 0))
    context.problems = [_problem(p) for p in progress.get("problems", [])]
    context.per_interchange = {int(k): int(v) for k, v in progress.get("per_interchange", {}).items()}


def write(message: Message, context: Context) -> None:
    """Record what ``context`` has read and stored (in the transaction that stores it)."""
    message.progress = {
        "transactions": context.done,
        "documents": context.stored_count,
        "problems": [_as_dict(p) for p in context.problems],
        "per_interchange": {str(k): v for k, v in context.per_interchange.items()},
    }


def forget(message: Message) -> None:
    """The run is over: nothing to resume."""
    message.progress = None


def _as_dict(problem: StageError) -> dict[str, Any]:
    return {
        "code": problem.code.value,
        "message": problem.message,
        "position": problem.position,
        "stage": problem.stage,
    }


def _problem(data: dict[str, Any]) -> StageError:
    code: StageCode | IssueCode
    try:
        code = StageCode(data["code"])
    except ValueError:
        code = IssueCode(data["code"])
    return StageError(code, str(data["message"]), data.get("position"), stage=data.get("stage"))
