"""``acorn parse``: summaries, JSON, defects with exit status 2, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from gateway.cli import cli

GOOD = (
    "ISA*00*          *00*          *ZZ*ACMEVENDOR     *ZZ*AMAZON         *261123*1200*U*00401*000000101*0*P*>~"
    "GS*PO*ACMEVENDOR*AMAZON*20261123*1200*101*X*004010~"
    "ST*850*0001~BEG*00*NE*PO123456**20261123~SE*3*0001~"
    "GE*1*101~IEA*1*000000101~"
)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), obj={})
    return result.exit_code, result.stdout, result.stderr


def test_parse_prints_a_summary(tmp_path: Path) -> None:
    path = tmp_path / "po.edi"
    path.write_text(GOOD)
    code, out, err = run("parse", str(path))
    assert code == 0, err
    assert "850 0001 (004010): 3 segments" in out
    assert "ACMEVENDOR" in out and "AMAZON" in out


def test_parse_json_follows_the_contract(tmp_path: Path) -> None:
    path = tmp_path / "po.edi"
    path.write_text(GOOD)
    code, out, _ = run("parse", "--json", str(path))
    assert code == 0
    data = json.loads(out)
    assert data["standard"] == "x12"
    txn = data["interchanges"][0]["groups"][0]["transactions"][0]
    assert txn == {"type": "850", "control_number": "0001", "version": "004010", "segment_count": 3}


def test_parse_reports_each_defect_and_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.edi"
    path.write_text(GOOD.replace("SE*3*0001", "SE*4*0002").replace("GE*1*101", "GE*2*101"))
    code, out, err = run("parse", "--json", str(path))
    assert code == 2
    codes = {e["code"] for e in json.loads(out)["errors"]}
    assert {"X12_SE_COUNT_MISMATCH", "X12_SE_CONTROL_MISMATCH", "X12_GE_COUNT_MISMATCH"} <= codes
    assert "X12_SE_COUNT_MISMATCH" in err and "(SE)" in err


def test_parse_of_garbage_exits_2_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "junk.bin"
    path.write_bytes(b"\x00\x01\x02" * 100)
    proc = subprocess.run(
        [sys.executable, "-m", "gateway", "parse", str(path)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert "BINARY_INPUT" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_parse_of_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run("parse", str(tmp_path / "nope.edi"))
    assert code == 2
    assert "does not exist" in err
