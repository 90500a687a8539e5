"""Each interchange's final outcome, written on the message when it ends (done or failed).

The dedupe stage lists the file's interchanges in ``Message.interchanges``: a duplicate (or a
suspect duplicate) is decided there, every other entry goes on as ``pending``. :func:`settle`
gives each pending entry its final outcome when the message ends, so none is left pending:

- ``stored``: its documents (``documents``: how many) are stored; with ``store_rejected`` the
  groups the 997/CONTRL rejected but whose documents were stored anyway (partner profile
  ``acks.store_rejected``) are named;
- ``rejected``: the 997/CONTRL rejects it or part of it (``rejected``: each group rejected, with
  its AK9/UCF status and the error codes; ``codes``: every code), and what it rejects is not
  stored (``documents`` says what of it was);
- ``failed``: a transaction of it could not be translated (``problems``: the codes and texts,
  e.g. ``NO_MAPPING``), or the message failed before the interchange was read to its end;

and a readable ``detail`` for the console. The other interchanges of the file go on when one
fails: the message then fails with every reason listed, and its entries say which interchange
each reason belongs to. The notes of documents stored although the acknowledgement rejected
them go on the message's timeline here too.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from gateway.edi.verdict import InterchangeVerdict, judge
from gateway.service.errors import StageError
from gateway.service.pipeline.context import Context
from gateway.store import messages
from gateway.store.models import Message

PENDING = "pending"
#: codes named in an entry at most (a broken file can have thousands of problems)
MAX_LISTED = 20


def settle(session: Session, message: Message, context: Context, failure: StageError | None = None) -> None:
    """Write the final outcome of every pending interchange of ``message`` (``failure``: why the
    message failed when it did, else ``None``). The caller commits."""
    entries = [dict(e) for e in message.interchanges or []]
    if not any(e.get("outcome") == PENDING for e in entries):
        return
    verdict = context.verdict
    if verdict is None and context.parsed is not None:
        verdict = judge(context.parsed)
    store_rejected = context.profile is not None and context.profile.acks.store_rejected
    kind = "997" if context.parsed is not None and context.parsed.standard == "x12" else "CONTRL"
    for entry in entries:
        if entry.get("outcome") != PENDING:
            continue
        index = int(entry["interchange"])
        judged = verdict.interchanges.get(index) if verdict is not None else None
        entry.update(_outcome(context, index, judged, kind, store_rejected, failure))
        if entry.get("stored_although_rejected"):
            groups = ", ".join(entry["stored_although_rejected"])
            messages.note_event(
                session,
                message,
                f"interchange {index}: stored although the acknowledgement rejected group {groups} "
                "(partner profile acks.store_rejected)",
                actor=context.actor,
            )
    message.interchanges = entries
    session.add(message)


def _outcome(
    context: Context,
    index: int,
    judged: InterchangeVerdict | None,
    kind: str,
    store_rejected: bool,
    failure: StageError | None,
) -> dict[str, Any]:
    documents = context.per_interchange.get(index, 0)
    problems = [p for p in context.problems if (p.position or {}).get("interchange") == index]
    rejected = _rejected_groups(judged) if judged is not None else []
    envelope = [g for g in rejected if g["envelope"]]
    out: dict[str, Any] = {"documents": documents}
    if judged is not None and judged.rejects_anything:
        out["codes"] = judged.codes()[:MAX_LISTED]
        out["rejected"] = rejected
    if problems:
        out["problems"] = [{"code": p.code.value, "message": p.message} for p in problems[:MAX_LISTED]]
    if rejected and store_rejected and envelope and documents:
        out["stored_although_rejected"] = [g["group"] for g in envelope]
    if rejected and not out.get("stored_although_rejected"):
        groups = "; ".join(f"group {g['group']} {g['status']} ({', '.join(g['codes'])})" for g in rejected)
        detail = f"rejected in the {kind}: {groups}; {documents} document(s) stored"
        out.update(outcome="rejected", detail=detail)
    elif problems:
        codes = ", ".join(dict.fromkeys(p.code.value for p in problems))
        out.update(outcome="failed", detail=f"failed: {codes}; {documents} document(s) stored")
    elif failure is not None and not context.at_end:
        out.update(outcome="failed", detail=f"not processed: {failure.code.value}: {failure.message}"[:500])
        out["problems"] = [{"code": failure.code.value, "message": failure.message[:500]}]
    else:
        detail = f"{documents} document(s) stored"
        if out.get("stored_although_rejected"):
            groups = ", ".join(out["stored_although_rejected"])
            detail += f" although the {kind} rejected group {groups} (partner profile acks.store_rejected)"
        out.update(outcome="stored", detail=detail)
    return out


def _rejected_groups(judged: InterchangeVerdict) -> list[dict[str, Any]]:
    """Each group the acknowledgement rejects in whole or in part, with its status and codes."""
    found = []
    for group in judged.groups:
        issues = list(judged.errors) + list(group.errors) if group.rejected else []
        issues += [i for t in group.transactions for i in t.errors]
        if not issues:
            continue
        found.append(
            {
                "group": group.control_number or str(group.index),
                "status": group.status,
                "envelope": group.rejected,
                "codes": list(dict.fromkeys(i.code.value for i in issues))[:MAX_LISTED],
            }
        )
    return found
