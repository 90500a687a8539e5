"""``acorn parse FILE``: stream an EDI file and summarise its envelopes and defects (no tree)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from gateway.edi import EdiError, StreamSummary, summarise


@click.command("parse")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the structure as JSON.")
def parse_command(file: Path, as_json: bool) -> None:
    """Summarise the interchanges, groups and transactions of FILE.

    Exits with status 2 when the file has envelope defects or is not EDI at all,
    naming each defect and where it sits.
    """
    try:
        parsed = summarise(file)
    except EdiError as exc:
        if as_json:
            failure = {"standard": None, "interchanges": [], "errors": [exc.issue.as_dict()]}
            click.echo(json.dumps(failure, indent=2))
        click.echo(f"{file}: {exc.issue}", err=True)
        sys.exit(2)
    if as_json:
        write_json(parsed.as_dict())
    else:
        click.echo(render_summary(file, parsed))
    for issue in parsed.issues:
        click.echo(f"{file}: {issue.severity.value}: {issue}", err=True)
    if parsed.errors:
        sys.exit(2)


def write_json(document: dict[str, Any]) -> None:
    """Print ``document`` as indented JSON a piece at a time (never the whole text in memory).

    ``json.dumps`` with ``indent`` joins millions of small pieces into one string: for a
    100 MB file of 64,500 transactions that list and string cost more than the summary.
    """
    out = sys.stdout
    for piece in json.JSONEncoder(indent=2).iterencode(document):
        out.write(piece)
    out.write("\n")
    out.flush()


def render_summary(file: Path, parsed: StreamSummary) -> str:
    """A human summary: one line per interchange, group and transaction."""
    standard = (parsed.standard or "x12").upper()
    lines = [f"{file}: {standard}, {len(parsed.interchanges)} interchange(s)"]
    for ic in parsed.interchanges:
        h = ic.header
        lines.append(
            f"  interchange {h.control_number}: {h.sender_qualifier}:{h.sender_id} -> "
            f"{h.receiver_qualifier}:{h.receiver_id}{' (test)' if h.test else ''}"
        )
        for g in ic.groups:
            gh = g.header
            label = "implicit group" if gh.implicit else f"group {gh.control_number} {gh.functional_id}"
            lines.append(f"    {label} version {gh.version}: {len(g.transactions)} transaction(s)")
            for kind, number, version, count in g.transactions:
                lines.append(f"      {kind} {number} ({version}): {count} segments")
    return "\n".join(lines)
