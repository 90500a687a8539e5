"""Partners: profile summary, mailboxes with their health, and the mappings each one uses.

Only what is safe to show: names, identities, standard, mailbox types and hosts. Secret
settings (passwords, keys, their files and variables) are never put on the page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template
from sqlmodel import select

from gateway.config import PartnerProfile
from gateway.console.context import db, runtime
from gateway.store.models import MailboxStatus

bp = Blueprint("partners", __name__)

SAFE_MAILBOX_FIELDS = (
    "host",
    "port",
    "username",
    "remote_inbox",
    "remote_outbox",
    "url",
    "as2_id",
    "partner_as2_id",
    "mdn_mode",
    "inbox",
    "outbox",
    "processed",
)


def mailbox_view(box: Any) -> dict[str, Any]:
    details = {
        name: getattr(box, name) for name in SAFE_MAILBOX_FIELDS if getattr(box, name, None) not in (None, "")
    }
    return {
        "name": box.name,
        "type": box.type,
        "interval": box.interval or runtime().settings.scheduler.poll_interval_seconds,
        "enabled": box.enabled,
        "details": details,
    }


def mappings_in_use(profile: PartnerProfile) -> list[dict[str, Any]]:
    registry = runtime().mappings
    rows = []
    for entry in registry.entries:
        if entry.standard == profile.standard and entry.accepts(profile.version):
            rows.append({"name": entry.name, "document": entry.document, "direction": entry.direction})
    return rows


def identities(profile: PartnerProfile) -> list[str]:
    out = []
    if profile.identities.x12:
        x = profile.identities.x12
        out.append(
            f"ISA {x.isa_qualifier}:{x.isa_id}" + (f", GS {x.gs_id}" if getattr(x, "gs_id", None) else "")
        )
    if profile.identities.edifact:
        e = profile.identities.edifact
        out.append(f"UNB {e.id}" + (f":{e.qualifier}" if e.qualifier else ""))
    return out


@bp.route("/partners")
def index() -> Any:
    statuses: dict[tuple[str, str], MailboxStatus] = {
        (s.partner, s.mailbox): s for s in db().exec(select(MailboxStatus))
    }
    partners = [
        {
            "profile": p,
            "identities": identities(p),
            "mailboxes": [(mailbox_view(b), statuses.get((p.name, b.name))) for b in p.mailboxes],
        }
        for p in runtime().partners
    ]
    return render_template("partners.html", partners=partners)


@bp.route("/partners/<name>")
def detail(name: str) -> Any:
    directory = runtime().partners
    if name not in directory:
        abort(404, description=f"there is no partner {name!r}")
    profile = directory.get(name)
    statuses = {s.mailbox: s for s in db().exec(select(MailboxStatus).where(MailboxStatus.partner == name))}
    return render_template(
        "partner.html",
        profile=profile,
        identities=identities(profile),
        mailboxes=[(mailbox_view(b), statuses.get(b.name)) for b in profile.mailboxes],
        mappings=mappings_in_use(profile),
        overlays=list(profile.mappings),
    )
