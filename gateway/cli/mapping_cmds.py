"""``acorn translate`` and ``acorn mappings check|test``: the EDI coordinator's commands."""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path

import click

from gateway.mapping import MappingRegistry, default_root
from gateway.mapping.translate import partner_overlays, translate_payload


def _registry(root: Path | None) -> MappingRegistry:
    return MappingRegistry(root or default_root())


@click.command("translate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--partner", "partner", default=None, help="Apply this partner's mapping overlays (partners/P.yaml)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the documents as a JSON array.")
@click.option(
    "--mappings",
    "root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Mappings folder (default: the project's mappings/, or ACORN_MAPPINGS).",
)
def translate_command(file: Path, partner: str | None, as_json: bool, root: Path | None) -> None:
    """Translate each transaction of FILE into canonical documents.

    Exits with status 2, naming the segment and field, when a transaction does not fit
    its mapping or the file has EDI errors.
    """
    result = translate_payload(file, _registry(root), partner_overlays(partner), partner)
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        for name, doc in result.documents:
            click.echo(f"{name}: {json.dumps(doc.model_dump(mode='json'), ensure_ascii=False)}")
    for error in result.errors:
        click.echo(f"{file}: {error}", err=True)
    if result.errors:
        sys.exit(2)


@click.group("mappings")
def mappings_group() -> None:
    """Check mapping files and run their golden tests."""


@mappings_group.command("check")
@click.option("--mappings", "root", type=click.Path(file_okay=False, path_type=Path), default=None)
def check_command(root: Path | None) -> None:
    """Validate every mapping and overlay; list problems as file:line: key: message."""
    registry = _registry(root)
    problems = registry.check_all()
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        click.echo(f"{len(problems)} problem(s)", err=True)
        sys.exit(2)
    click.echo(f"{len(registry.entries)} mappings OK in {registry.root}")


@mappings_group.command("test")
@click.option("--update", is_flag=True, help="Rewrite the expected JSON from today's output.")
@click.option("--mappings", "root", type=click.Path(file_okay=False, path_type=Path), default=None)
def test_command(update: bool, root: Path | None) -> None:
    """Run the golden pairs of mappings/tests/ (NAME.edi and NAME.expected.json)."""
    registry = _registry(root)
    folder = registry.root / "tests"
    cases = sorted(folder.rglob("*.edi")) if folder.is_dir() else []
    failed = 0
    for edi in cases:
        expected_path = edi.with_suffix(".expected.json")
        partner_file = edi.with_suffix(".partner")
        partner = partner_file.read_text().strip() if partner_file.is_file() else None
        overlays = partner_overlays(partner, registry.root.parent / "partners")
        result = translate_payload(edi, registry, overlays, partner)
        actual = (
            json.dumps({"documents": result.to_json(), "errors": result.errors}, indent=2, ensure_ascii=False)
            + "\n"
        )
        name = edi.relative_to(folder)
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
    click.echo(f"{len(cases) - failed} passed, {failed} failed")
    if failed:
        sys.exit(2)
