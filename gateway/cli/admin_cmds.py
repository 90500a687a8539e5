"""``acorn db upgrade`` and ``acorn partners check``: set up the database, validate the partner profiles.

Both read the configuration named by ``--config`` / ``ACORN_CONFIG`` (``./config.yaml``
by default, all defaults when it is absent). A bad configuration or profile prints one
``FILE:LINE: key: problem`` line per problem on stderr and exits with status 2.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn

import click

from gateway.cli.group import database_problem, is_database_error, safe_url
from gateway.config import (
    As2Mailbox,
    ConfigError,
    LocalMailbox,
    PartnerDirectory,
    PartnerProfile,
    Settings,
    SftpMailbox,
    load_partners,
    load_settings,
)
from gateway.mapping.errors import MappingError
from gateway.mapping.loader import resolve
from gateway.store import upgrade_database


def _fail(exc: ConfigError) -> NoReturn:
    for problem in exc.problems:
        click.echo(str(problem), err=True)
    sys.exit(2)


def settings_from(ctx: click.Context) -> Settings:
    """The settings for this command line, or exit 2 with the problems.

    A configuration file that is not there is an error, not a set of defaults: a named one
    is "no such config file", a missing ``./config.yaml`` says how to name or make one.
    """
    obj = ctx.find_root().obj or {}
    path = Path(obj.get("config_path") or "config.yaml")
    if not path.is_file():
        if obj.get("config_given"):
            message = f"acorn: no such config file: {path}"
        else:
            message = (
                f"acorn: no config.yaml in {Path.cwd()}: give --config FILE or set ACORN_CONFIG "
                "(copy config.example.yaml to start)"
            )
        click.echo(message, err=True)
        sys.exit(2)
    try:
        settings = load_settings(path)
    except ConfigError as exc:
        _fail(exc)
    obj["database_url"] = settings.database_url  # for the group's "cannot reach the database" line
    return settings


@click.group("db")
def db_group() -> None:
    """Database maintenance."""


@db_group.command("upgrade")
@click.pass_context
def upgrade_command(ctx: click.Context) -> None:
    """Create or upgrade the database schema to the newest migration (safe to run again)."""
    settings = settings_from(ctx)
    click.echo(f"upgrading {safe_url(settings.database_url)} ...")
    try:
        revision = upgrade_database(settings.database_url)
    except Exception as exc:  # connection refused, bad URL, permissions: one readable line
        if is_database_error(exc):
            raise  # the group's "acorn: cannot reach the database URL: reason"
        click.echo(
            f"{safe_url(settings.database_url)}: cannot upgrade: {type(exc).__name__}: "
            f"{database_problem(exc)}",
            err=True,
        )
        sys.exit(2)
    click.echo(f"database is at revision {revision}")


@click.group("partners")
def partners_group() -> None:
    """Partner profiles (partners/*.yaml)."""


def _readiness(profile: PartnerProfile, settings: Settings) -> list[str]:
    """Warnings: things that will fail at run time though the profile is valid."""
    notes: list[str] = []
    for name in profile.mappings:
        try:
            resolve(name, settings.mappings_dir)
        except MappingError:
            notes.append(f"mappings: overlay {name!r} not found under {settings.mappings_dir}")
    for box in profile.mailboxes:
        where = f"mailboxes.{box.name}"
        if isinstance(box, LocalMailbox):
            continue
        if isinstance(box, SftpMailbox):
            files = [box.known_hosts, box.key_file, box.password_file, box.key_passphrase_file]
            envs = [box.password_env, box.key_passphrase_env]
        else:
            assert isinstance(box, As2Mailbox)
            files = [
                box.our_certificate,
                box.our_private_key,
                box.partner_certificate,
                box.partner_encryption_certificate,
                box.private_key_password_file,
            ]
            envs = [box.private_key_password_env]
        notes += [
            f"{where}: file {f} does not exist" for f in files if f is not None and not Path(f).is_file()
        ]
        notes += [f"{where}: environment variable {e} is not set" for e in envs if e and e not in os.environ]
    return notes


def _summary(profile: PartnerProfile) -> str:
    ids = []
    if profile.identities.x12:
        ids.append(f"ISA {profile.identities.x12.isa_qualifier}:{profile.identities.x12.isa_id}")
    if profile.identities.edifact:
        e = profile.identities.edifact
        ids.append(f"UNB {e.id}" + (f":{e.qualifier}" if e.qualifier else ""))
    boxes = ", ".join(f"{b.name} ({b.type})" for b in profile.mailboxes) or "no mailbox"
    acks = "acks on" if profile.acks.send else "acks off"
    return f"{profile.name}: {profile.standard} {profile.version}, {'; '.join(ids)}, {boxes}, {acks}"


@partners_group.command("check")
@click.option(
    "--strict", is_flag=True, help="Exit with status 2 on warnings too (missing files, unset variables)."
)
@click.pass_context
def check_command(ctx: click.Context, strict: bool) -> None:
    """Validate every partner profile; list problems as FILE:LINE: key: problem.

    Prints one summary line per partner, then warnings for what would fail at run time
    (overlays not found, key or certificate files missing, secret variables unset).
    """
    settings = settings_from(ctx)
    try:
        directory: PartnerDirectory = load_partners(settings.partners_dir)
    except ConfigError as exc:
        _fail(exc)
    if len(directory) == 0:  # nothing would ever be polled: that is not "valid"
        where = "is not a folder" if not settings.partners_dir.is_dir() else "holds no *.yaml profile"
        click.echo(f"acorn: partners_dir {settings.partners_dir} {where}", err=True)
        sys.exit(2)
    warnings = 0
    for profile in directory:
        click.echo(_summary(profile))
        for note in _readiness(profile, settings):
            warnings += 1
            click.echo(f"{directory.files.get(profile.name, profile.name)}: warning: {note}", err=True)
    click.echo(f"{len(directory)} partner(s) valid, {warnings} warning(s)")
    if strict and warnings:
        sys.exit(2)
