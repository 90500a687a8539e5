"""``acorn archive migrate``: move the payload archive between the folder and the database.

``--to database`` copies every payload of ``archive_dir`` into the database (for workers on
several hosts); ``--to folder`` copies every payload of the database into ``archive_dir``.
Nothing is deleted on either side, every copy is verified by its sha256, and a migration that
stopped half-way is simply run again. Then set ``archive_backend`` in ``config.yaml``.
"""

from __future__ import annotations

import click

from gateway.cli.admin_cmds import settings_from
from gateway.store import make_engine, upgrade_database
from gateway.store.archive_db import migrate_archive


@click.group("archive")
def archive_group() -> None:
    """The payload archive: a folder, or the database for several hosts."""


@archive_group.command("migrate")
@click.option("--to", "to", type=click.Choice(["database", "folder"]), required=True,
              help="Where the payloads should be afterwards.")  # fmt: skip
@click.pass_context
def migrate_command(ctx: click.Context, to: str) -> None:
    """Copy every archived payload into the database or the folder (idempotent, verified)."""
    settings = settings_from(ctx)
    engine = make_engine(settings.database_url)
    upgrade_database(settings.database_url, engine)
    step = 0

    def progress(done: int, total: int) -> None:
        nonlocal step
        if done == total or done - step >= 500:
            step = done
            click.echo(f"{done}/{total} payload(s)", err=True)

    try:
        report = migrate_archive(to, settings.archive_dir, engine, progress)
    finally:
        engine.dispose()
    click.echo(
        f"copied {report.copied} payload(s) ({report.copied_bytes} bytes) to the {to}; "
        f"{report.already} were there already"
    )
    for sha256 in report.missing:
        click.echo(f"acorn: payload {sha256} is listed but cannot be read", err=True)
    if report.missing:
        raise SystemExit(1)
    if settings.archive_backend != to:
        click.echo(f"now set archive_backend: {to} in the configuration", err=True)
