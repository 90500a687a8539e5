"""Carton labels drawn with reportlab's C accelerator (``rl-accel``) are the very bytes its
pure-Python fallbacks draw: the accelerator changes the cost of a label, not the label."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.shipping.labels import carton_labels
from tests.shipping.conftest import shipment

ROOT = Path(__file__).resolve().parent.parent.parent

#: draws the labels of three notices and prints the sha256 of each PDF; ``-`` as the first
#: argument blocks the accelerator (reportlab then falls back to its Python functions)
SCRIPT = """
import hashlib, sys
if sys.argv[1] == "-":
    sys.modules["_rl_accel"] = None  # import fails: reportlab's fallbacks
from reportlab.lib import rl_accel
from gateway.shipping.labels import carton_labels
from tests.shipping.conftest import shipment
print("c" if not rl_accel._py_funcs else "py")
for n in range(3):
    print(hashlib.sha256(carton_labels(shipment(f"ASN-{n}"), f"PO{n}")).hexdigest())
"""


def _draw(block: bool) -> list[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, "-" if block else "+"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=120,
    ).stdout.split()  # fmt: skip
    return out


def test_the_accelerator_draws_the_bytes_the_fallbacks_draw() -> None:
    pytest.importorskip("_rl_accel", reason="rl-accel not installed (pip install -e .)")
    accelerated, fallback = _draw(block=False), _draw(block=True)
    assert accelerated[0] == "c" and fallback[0] == "py"
    assert accelerated[1:] == fallback[1:] and len(set(accelerated[1:])) == 3


def test_labels_in_process_are_those_of_the_subprocess() -> None:
    """The in-process labels match the subprocess's of the same kind (the comparison above means
    something: the same notices, the same code)."""
    drawn = _draw(block=False)
    mine = [hashlib.sha256(carton_labels(shipment(f"ASN-{n}"), f"PO{n}")).hexdigest() for n in range(3)]
    assert drawn[1:] == mine
