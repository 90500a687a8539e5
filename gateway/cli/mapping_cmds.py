"""``acorn translate`` and ``acorn mappings check|test``: the EDI coordinator's commands.

They read the folders the gateway itself reads, so what a coordinator checks is what runs:
``--mappings`` if given, else ``$ACORN_MAPPINGS``, else the ``mappings_dir`` of the gateway's
configuration file (``--config`` / ``ACORN_CONFIG`` / ``./config.yaml``) when there is one, else
the project's ``mappings/``. Partner profiles (for ``--partner`` overlays) come from the
configuration's ``partners_dir`` when the mappings do, else from ``partners/`` beside the mappings.

A partner's overlays are looked up as the gateway looks them up: every profile is read and
validated by :func:`gateway.config.load_partners`, and the partner's ``mappings:`` list is
used as it stands. So a profile the gateway would refuse (bad YAML, ``mappings:`` not a
list...) is refused here with the same ``FILE:LINE: key: problem`` lines, and an unknown
partner or an overlay that is not in the mappings folder is an error, never silently nothing.
"""

from __future__ import annotations

import difflib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from gateway.canonical.sniff import looks_like_xml
from gateway.common.yamlfile import line_of
from gateway.mapping import MappingError, MappingRegistry, default_root
from gateway.mapping.loader import resolve
from gateway.mapping.translate import (
    Problem,
    Translated,
    document_json,
    iter_translated,
    translate_payload,
)

#: ``--mappings DIR``, the same on every command
mappings_option = click.option(
    "--mappings",
    "root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Mappings folder (default: ACORN_MAPPINGS, else the config's mappings_dir, else mappings/).",
)


def _folders(root: Path | None) -> tuple[Path, Path]:
    """The mappings folder and the partners folder these commands read (see the module's text)."""
    if root is None and not os.environ.get("ACORN_MAPPINGS"):
        ctx = click.get_current_context()
        config = Path((ctx.obj or {}).get("config_path") or "config.yaml")
        if config.is_file():
            from gateway.cli.admin_cmds import settings_from  # the database layer: only when needed

            settings = settings_from(ctx)  # a broken configuration exits 2 with its problems
            return settings.mappings_dir, settings.partners_dir
    mappings = root or default_root()
    return mappings, mappings.parent / "partners"


def _registry(root: Path | None) -> tuple[MappingRegistry, Path]:
    mappings, partners = _folders(root)
    if not mappings.is_dir():
        click.echo(
            f"{mappings}: no such mappings folder (give --mappings DIR, ACORN_MAPPINGS or mappings_dir "
            "in config.yaml)",
            err=True,
        )
        sys.exit(2)
    return MappingRegistry(mappings), partners


def partner_overlays(partner: str, partners: Path, mappings: Path) -> list[str]:
    """The overlay names the profile of ``partner`` in folder ``partners`` lists under ``mappings:``.

    Raises :class:`ConfigError` when the profiles do not validate (as the gateway would
    refuse them), when no profile is called ``partner`` (naming the folder and the known
    partners), or when a listed overlay is not found under ``mappings`` (naming the profile
    file and line).
    """
    from gateway.config import ConfigError, ConfigProblem, PartnerDirectory, load_partners
    from gateway.config.source import read_yaml

    directory = load_partners(partners) if partners.is_dir() else PartnerDirectory([])
    if partner not in directory:
        known = ", ".join(directory.names()) or "none"
        found = f"no {partner}.yaml there" if partners.is_dir() else "there is no such folder"
        raise ConfigError.one(
            str(partners), None, "", f"unknown partner {partner!r}: {found} (known partners: {known})"
        )
    names = list(directory.get(partner).mappings)
    file = directory.files.get(partner)
    problems = []
    for index, name in enumerate(names):
        try:
            resolve(name, mappings)
        except MappingError:
            line = line_of(read_yaml(file), ("mappings", index)) if file is not None else None
            problems.append(
                ConfigProblem(
                    str(file or partner),
                    line,
                    f"mappings[{index}]",
                    f"partner {partner}: overlay {name!r} not found under {mappings}",
                )
            )
    if problems:
        raise ConfigError(problems)
    return names


def _overlays_of(partner: str, root: Path | None) -> list[str]:
    """:func:`partner_overlays` for this command line, or exit 2 with its problems."""
    from gateway.config import ConfigError  # the partner profiles' models: only with --partner

    mappings, partners = _folders(root)
    try:
        return partner_overlays(partner, partners, mappings)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        sys.exit(2)


@click.command("translate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--partner",
    "partner",
    default=None,
    help="Apply the overlays this partner's profile lists (partners/P.yaml); an unknown partner exits 2.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the documents as a JSON array.")
@click.option("--jsonl", "as_jsonl", is_flag=True, help="Print one JSON document per line.")
@mappings_option
def translate_command(
    file: Path, partner: str | None, as_json: bool, as_jsonl: bool, root: Path | None
) -> None:
    """Translate each transaction of FILE into canonical documents.

    Documents are printed as they are translated (the file is read as a stream, so a large
    file needs no more memory than its largest transaction). Exits with status 2, naming the
    segment and field, when a transaction does not fit its mapping or the file has EDI
    errors, and when the partner is unknown or its profile does not validate. A canonical XML
    file is read and checked (schema and model) instead, its problems named by line and element.
    """
    if as_json and as_jsonl:
        raise click.UsageError("--json and --jsonl: choose one")
    overlays = _overlays_of(partner, root) if partner is not None else []
    printer = DocumentPrinter("json" if as_json else "jsonl" if as_jsonl else "text")
    problems = 0
    for item in _translated_items(file, partner, overlays, root):
        if isinstance(item, Problem):
            problems += 1
            click.echo(f"{file}: {item.text}", err=True)
        else:
            printer.write(item)
    printer.close()
    if problems:
        sys.exit(2)


def _translated_items(
    file: Path, partner: str | None, overlays: list[str], root: Path | None
) -> Iterator[Translated | Problem]:
    """The documents and problems of ``file``: EDI as a stream, canonical XML checked whole."""
    if looks_like_xml(file):  # canonical XML from an ERP: checked by the XSD and the model
        from gateway.canonical.xml import CanonicalXmlError, from_xml  # lxml: only for XML

        try:
            doc = from_xml(file.read_bytes())
        except CanonicalXmlError as exc:
            yield Problem(str(exc))
            return
        yield Translated(doc.type_key, doc)
        return
    registry, _partners = _registry(root)
    yield from iter_translated(file, registry, overlays, partner)


class DocumentPrinter:
    """Writes documents to stdout as they come: ``text`` lines, a ``json`` array, or ``jsonl``."""

    def __init__(self, form: str) -> None:
        self.form = form
        self.count = 0

    def write(self, item: Translated) -> None:
        if self.form == "text":
            data = json.dumps(item.document.model_dump(mode="json"), ensure_ascii=False)
            click.echo(f"{item.name}: {data}")
        elif self.form == "jsonl":
            click.echo(json.dumps(document_json(item.name, item.document), ensure_ascii=False))
        else:
            text = json.dumps(document_json(item.name, item.document), indent=2, ensure_ascii=False)
            click.echo(("[\n" if self.count == 0 else ",\n") + _indented(text), nl=False)
        self.count += 1

    def close(self) -> None:
        if self.form == "json":
            click.echo("[]" if self.count == 0 else "\n]")


def _indented(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


@click.group("mappings")
def mappings_group() -> None:
    """Check mapping files and run their golden tests."""


@mappings_group.command("check")
@mappings_option
def check_command(root: Path | None) -> None:
    """Validate every mapping and overlay; list problems as file:line: key: message."""
    registry, _partners = _registry(root)
    problems = registry.check_all()
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        click.echo(f"{len(problems)} problem(s)", err=True)
        sys.exit(2)
    if not registry.entries:
        click.echo(f"{registry.root}: no mapping files here", err=True)
        sys.exit(2)
    click.echo(f"{len(registry.entries)} mappings OK in {registry.root}")


@mappings_group.command("test")
@click.option("--update", is_flag=True, help="Rewrite the expected JSON from today's output.")
@mappings_option
def test_command(update: bool, root: Path | None) -> None:
    """Run the golden pairs of mappings/tests/ (NAME.edi and NAME.expected.json).

    A pair with a ``NAME.partner`` file (one partner name) is translated with that partner's
    overlays; an unknown partner or a profile that does not validate fails the pair.
    """
    from gateway.config import ConfigError

    registry, partners = _registry(root)
    folder = registry.root / "tests"
    cases = sorted(folder.rglob("*.edi")) if folder.is_dir() else []
    failed = 0
    for edi in cases:
        name = edi.relative_to(folder)
        expected_path = edi.with_suffix(".expected.json")
        partner_file = edi.with_suffix(".partner")
        partner = partner_file.read_text(encoding="utf-8").strip() if partner_file.is_file() else None
        overlays: list[str] = []
        if partner:
            try:
                overlays = partner_overlays(partner, partners, registry.root)
            except ConfigError as exc:
                failed += 1
                click.echo(f"FAIL {name}: {partner_file.name}: partner {partner!r} cannot be used:")
                click.echo("\n".join(f"  {problem}" for problem in exc.problems))
                continue
        result = translate_payload(edi, registry, overlays, partner)
        actual = (
            json.dumps({"documents": result.to_json(), "errors": result.errors}, indent=2, ensure_ascii=False)
            + "\n"
        )
        if update:
            expected_path.write_text(actual, encoding="utf-8")
            click.echo(f"updated {name}")
            continue
        if not expected_path.is_file():
            failed += 1
            click.echo(f"FAIL {name}: no {expected_path.name} (run with --update to create it)")
            continue
        try:
            wanted = json.loads(expected_path.read_text(encoding="utf-8"))
        except ValueError as exc:
            failed += 1
            click.echo(f"FAIL {name}: {expected_path.name} is not valid JSON ({exc})")
            continue
        if wanted == json.loads(actual):
            click.echo(f"ok   {name}")
            continue
        expected = json.dumps(wanted, indent=2, ensure_ascii=False) + "\n"
        failed += 1
        click.echo(f"FAIL {name}")
        diff = difflib.unified_diff(
            expected.splitlines(), actual.splitlines(), f"{name} (expected)", f"{name} (actual)", lineterm=""
        )
        click.echo("\n".join(diff))
    click.echo(f"{len(cases) - failed} passed, {failed} failed in {folder}")
    if failed:
        sys.exit(2)
