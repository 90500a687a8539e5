"""Two hosts for real: two gateway processes in network namespaces of their own, no shared disk.

The test makes two namespaces (``ip netns``) joined to this one by veth pairs; each can reach
PostgreSQL only through a small TCP forwarder on its veth address (inside a namespace,
127.0.0.1 is its own loopback, where nothing listens). Host A receives five files from its own
inbox into the database archive; host B, with its own empty folders, processes them, replays
one and sends the 997s. Needs root and ``ip`` (CI has both); skipped otherwise.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import NEEDS_PG, PROJECT_ROOT, pg_schema
from tests.pipeline.conftest import make_home, numbered_po

pytestmark = [
    NEEDS_PG,
    pytest.mark.skipif(os.geteuid() != 0 or shutil.which("ip") is None, reason="needs root and ip"),
]

HOST_A = """
import json, socket, sys
from pathlib import Path
from gateway.service import pipeline
from gateway.service.runtime import Runtime
probe = socket.socket()
try:
    probe.connect(("127.0.0.1", 5432)); isolated = False
except OSError:
    isolated = True
rt = Runtime.open(Path("config.yaml"))
ids = [pipeline.receive(rt, p.read_bytes(), filename=p.name, partner="amazon-us", mailbox="local").message_id
       for p in sorted(Path("drop").iterdir())]
rt.close()
print(json.dumps({"ids": ids, "isolated": isolated}))
"""

HOST_B = """
import json, sys
from pathlib import Path
from gateway.service import pipeline
from gateway.service.mailboxes import send_due
from gateway.service.runtime import Runtime
ids = json.loads(sys.argv[1])
rt = Runtime.open(Path("config.yaml"))
states = [pipeline.process(rt, i).state for i in ids]
replayed = [o.state for o in pipeline.replay(rt, ids[:1], actor="ops", reason="netns")]
sent = send_due(rt).sent
rt.close()
print(json.dumps({"states": states, "replayed": replayed, "sent": sent}))
"""


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


class Forwarder:
    """Accepts on ``listen`` and pipes each connection to ``target`` (one thread per direction)."""

    def __init__(self, listen: tuple[str, int], target: tuple[str, int]) -> None:
        self.server = socket.create_server(listen)
        self.target = target
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        with client, socket.create_connection(self.target) as upstream:
            back = threading.Thread(target=self._pipe, args=(upstream, client), daemon=True)
            back.start()
            self._pipe(client, upstream)
            back.join()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def namespaces() -> Iterator[list[tuple[str, str]]]:
    """Two namespaces; yields (name, address of this side's veth end) for each."""
    tag = f"{random.randrange(16**4):04x}"
    net = random.randrange(10, 250)
    made: list[tuple[str, str]] = []
    try:
        for side in "ab":
            name, outer, inner = f"acorn-{side}{tag}", f"va{side}{tag}", f"vb{side}{tag}"
            subnet = f"10.{net}.{1 if side == 'a' else 2}"
            try:
                ip("netns", "add", name)
            except subprocess.CalledProcessError as exc:
                pytest.skip(f"cannot make a network namespace here: {exc.stderr.decode().strip()}")
            made.append((name, f"{subnet}.1"))
            ip("link", "add", outer, "type", "veth", "peer", "name", inner)
            ip("link", "set", inner, "netns", name)
            ip("addr", "add", f"{subnet}.1/24", "dev", outer)
            ip("link", "set", outer, "up")
            ip("netns", "exec", name, "ip", "addr", "add", f"{subnet}.2/24", "dev", inner)
            ip("netns", "exec", name, "ip", "link", "set", inner, "up")
            ip("netns", "exec", name, "ip", "link", "set", "lo", "up")
        yield made
    finally:
        for name, _ in made:
            subprocess.run(["ip", "netns", "del", name], capture_output=True)  # takes its veth pair along


def run_in(namespace: str, home: Path, script: str, *args: str) -> dict:  # type: ignore[type-arg]
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run(
        ["ip", "netns", "exec", namespace, sys.executable, "-c", script, *args],
        cwd=home, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_received_in_one_namespace_processed_and_sent_from_the_other(
    namespaces: list[tuple[str, str]], tmp_path: Path
) -> None:
    pg = make_url(os.environ["ACORN_TEST_DATABASE_URL"])
    target = (pg.host or "127.0.0.1", pg.port or 5432)
    with pg_schema("n") as url:
        homes, forwarders = [], []
        for (_name, address), side in zip(namespaces, "ab", strict=True):
            forwarders.append(Forwarder((address, 15432), target))
            host_url = make_url(url).set(host=address, port=15432).render_as_string(hide_password=False)
            config = make_home(tmp_path / f"host-{side}", host_url)
            config.write_text(config.read_text() + "archive_backend: database\n")
            homes.append(config.parent)
        drop = homes[0] / "drop"
        drop.mkdir()
        for n in range(6100, 6105):
            (drop / f"po_{n}.edi").write_bytes(numbered_po(n))
        try:
            a = run_in(namespaces[0][0], homes[0], HOST_A)
            b = run_in(namespaces[1][0], homes[1], HOST_B, json.dumps(a["ids"]))
        finally:
            for forwarder in forwarders:
                forwarder.close()
    assert a["isolated"], "host A reached 127.0.0.1:5432: it is not in a namespace of its own"
    assert len(a["ids"]) == 5
    assert b == {"states": ["done"] * 5, "replayed": ["done"], "sent": 5}
    outbox = Path("run", "mailboxes", "amazon-us", "outbox")
    acks = sorted((homes[1] / outbox).iterdir())
    assert len(acks) == 5 and all(b"ST*997*" in p.read_bytes() for p in acks)
    assert not (homes[0] / outbox).exists()
    cached = {p.name for p in (homes[1] / "archive").glob("??/*")}  # B fetched what A received
    assert len(cached) >= 5
