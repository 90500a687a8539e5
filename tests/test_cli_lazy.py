"""The ``acorn`` group loads subcommands lazily: help and ``parse`` import no database, web or SFTP library."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from gateway.cli import COMMANDS, cli

SAMPLE = Path(__file__).resolve().parent / "data" / "messages" / "x12_4010_850_case_pack.edi"
HEAVY = ("flask", "sqlalchemy", "sqlmodel", "paramiko")


def loaded_after(code: str) -> list[str]:
    """The heavy modules imported by ``code`` run in a fresh interpreter."""
    probe = f"{code}\nimport sys, json\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_and_help_load_no_heavy_library() -> None:
    assert loaded_after("import gateway.cli") == []
    help_run = "from click.testing import CliRunner\nfrom gateway.cli import cli\nCliRunner().invoke(cli, ['--help'])"
    assert loaded_after(help_run) == []


def test_parse_loads_no_heavy_library() -> None:
    run = (
        "from click.testing import CliRunner\nfrom gateway.cli import cli\n"
        f"r = CliRunner().invoke(cli, ['parse', {str(SAMPLE)!r}])\nassert r.exit_code == 0, r.output"
    )
    assert loaded_after(run) == []


def test_help_lists_every_command_of_the_table() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name, (_, short) in COMMANDS.items():
        assert f"{name} " in result.output and short[:30] in result.output


def test_every_table_entry_loads_its_command() -> None:
    for name in COMMANDS:
        result = CliRunner().invoke(cli, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
