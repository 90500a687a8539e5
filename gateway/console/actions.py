"""The console's actions, delegated to the modules that own them, imported only when used.

Replay and resend belong to :mod:`gateway.service.pipeline`, discrepancy status changes to
:mod:`gateway.reconcile`, invoice approval and sending to :mod:`gateway.invoicing`. The
console never reimplements them: when a module (or one of its functions) is not installed,
:func:`available` says so and the page leaves the action out.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

if TYPE_CHECKING:
    from gateway.service.runtime import Runtime

log = logging.getLogger(__name__)

#: action name -> (module, function)
ACTIONS: dict[str, tuple[str, str]] = {
    "replay": ("gateway.service.pipeline", "replay"),
    "resend": ("gateway.service.pipeline", "resend"),
    "failed_ids": ("gateway.service.pipeline", "failed_message_ids"),
    "discrepancy_status": ("gateway.reconcile", "set_discrepancy_status"),
    "approve_invoice": ("gateway.invoicing", "approve_invoice"),
    "send_invoice": ("gateway.invoicing", "send_invoice"),
}


class ActionUnavailable(RuntimeError):
    """The module that owns an action is not installed in this build."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one message: its id, the state it reached, an error if any."""

    message_id: int
    state: str
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.state != "failed"


def _function(action: str) -> Callable[..., Any] | None:
    module_name, name = ACTIONS[action]
    if importlib.util.find_spec(module_name) is None:
        return None
    module = importlib.import_module(module_name)
    return getattr(module, name, None)


def available(action: str) -> bool:
    """True when the function behind ``action`` exists in this build."""
    try:
        return _function(action) is not None
    except Exception:  # a module that fails to import: the action is not usable; say why in the log
        log.exception("cannot import the module behind the %s action", action)
        return False


def _require(action: str) -> Callable[..., Any]:
    fn = _function(action)
    if fn is None:
        module_name, name = ACTIONS[action]
        raise ActionUnavailable(f"{module_name}.{name} is not available in this build")
    return fn


def _outcomes(results: Any) -> list[Outcome]:
    out = []
    for item in results or []:
        out.append(
            Outcome(
                int(item.message_id),
                str(getattr(item, "state", "") or ""),
                getattr(item, "error", None),
            )
        )
    return out


def replay(runtime: Runtime, message_ids: Sequence[int], *, actor: str, reason: str) -> list[Outcome]:
    """Re-run messages from their archived bytes (pipeline.replay). Raises :class:`ActionUnavailable`."""
    return _outcomes(_require("replay")(runtime, list(message_ids), actor=actor, reason=reason))


def resend(runtime: Runtime, message_ids: Sequence[int], *, actor: str, reason: str) -> list[Outcome]:
    """Send outbound messages again (pipeline.resend). Raises :class:`ActionUnavailable`."""
    return _outcomes(_require("resend")(runtime, list(message_ids), actor=actor, reason=reason))


def failed_message_ids(
    session: Session, partner: str | None = None, since: datetime | None = None
) -> list[int]:
    """The failed messages a bulk replay would take (pipeline.failed_message_ids)."""
    return list(_require("failed_ids")(session, partner=partner, since=since))


def set_discrepancy_status(session: Session, discrepancy_id: int, status: str, actor: str, note: str) -> Any:
    """Move a discrepancy along (reconcile.set_discrepancy_status); the caller commits."""
    return _require("discrepancy_status")(session, discrepancy_id, status, actor, note)


def _call_runtime_or_session(action: str, runtime: Runtime, session: Session, *args: Any, **kw: Any) -> Any:
    """Call a function whose first parameter is either the runtime or a session."""
    fn = _require(action)
    first = next(iter(inspect.signature(fn).parameters), "runtime")
    return fn(session if first == "session" else runtime, *args, **kw)


def approve_invoice(runtime: Runtime, session: Session, document_id: int, actor: str) -> Any:
    return _call_runtime_or_session("approve_invoice", runtime, session, document_id, actor=actor)


def send_invoice(runtime: Runtime, session: Session, document_id: int, actor: str) -> Any:
    return _call_runtime_or_session("send_invoice", runtime, session, document_id, actor=actor)
