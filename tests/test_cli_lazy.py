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


def loaded_after(code: str, heavy: tuple[str, ...] = HEAVY) -> list[str]:
    """The modules of ``heavy`` imported by ``code`` run in a fresh interpreter."""
    probe = f"{code}\nimport sys, json\nprint(json.dumps([m for m in {heavy!r} if m in sys.modules]))"
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


def test_translate_of_an_850_loads_the_purchase_order_model_alone() -> None:
    """The canonical package imports a document's model when it is asked for: translating an 850
    builds the purchase order's pydantic models, not the invoice's or the remittance's, and loads
    neither lxml (canonical XML) nor the partner profiles' models (only ``--partner`` needs them)."""
    run = (
        "from click.testing import CliRunner\nfrom gateway.cli import cli\n"
        f"r = CliRunner().invoke(cli, ['translate', {str(SAMPLE)!r}])\n"
        "assert r.exit_code == 0 and 'purchase_order' in r.output, r.output"
    )
    others = (
        "gateway.canonical.invoice",
        "gateway.canonical.remittance",
        "gateway.canonical.shipment",
        "gateway.canonical.availability",
        "gateway.canonical.xml",
        "gateway.config",
        "lxml",
    )
    assert loaded_after(run, (*HEAVY, *others, "gateway.canonical.purchase_order")) == [
        "gateway.canonical.purchase_order"
    ]
