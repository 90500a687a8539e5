"""Transport fixtures. SFTP: a real OpenSSH ``sshd`` with its own host key, one authorized client
key, ``ForceCommand internal-sftp -d <root>``, on 127.0.0.1 and a free port, run in the foreground.

Keys are generated with ``ssh-keygen`` into a temporary folder at test time. The tests skip,
with the reason, only when sshd is not installed.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from gateway.config.partners import SftpMailbox as SftpConfig

SSHD = "/usr/sbin/sshd"


def sshd_missing_reason() -> str | None:
    """Why the SFTP tests cannot run here, or ``None`` when they can."""
    if not Path(SSHD).is_file():
        return f"OpenSSH server not installed ({SSHD} missing; apt-get install openssh-server)"
    if shutil.which("ssh-keygen") is None:
        return "ssh-keygen not found"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def keygen(path: Path, kind: str = "ed25519", passphrase: str = "") -> Path:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", kind, "-N", passphrase, "-C", "acorn-test", "-f", str(path)],
        check=True,
        capture_output=True,
    )
    return path


@dataclass
class Sshd:
    """One sshd instance serving ``root`` over SFTP; :meth:`start` and :meth:`stop` may repeat."""

    home: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    extra_config: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.root = self.home / "sftp-root"
        self.root.mkdir(exist_ok=True)
        self.host_key = keygen(self.home / "ssh_host_ed25519_key")
        self.client_key = keygen(self.home / "client_key")
        (self.home / "authorized_keys").write_text(self.client_key.with_suffix(".pub").read_text())
        self.user = getpass.getuser()
        self.config = self.home / "sshd_config"
        self.config.write_text(
            "\n".join(
                [
                    f"Port {self.port}",
                    "ListenAddress 127.0.0.1",
                    f"HostKey {self.host_key}",
                    f"PidFile {self.home / 'sshd.pid'}",
                    f"AuthorizedKeysFile {self.home / 'authorized_keys'}",
                    "PubkeyAuthentication yes",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "PermitRootLogin prohibit-password",
                    f"AllowUsers {self.user}",
                    "StrictModes no",
                    "UsePAM no",
                    "MaxStartups 50",
                    "Subsystem sftp internal-sftp",
                    f"ForceCommand internal-sftp -d {self.root}",
                    "LogLevel ERROR",
                    *self.extra_config,
                    "",
                ]
            )
        )
        # The line a known_hosts file needs for this server (non-standard port form).
        host_pub = self.host_key.with_suffix(".pub").read_text().split()
        self.known_hosts_line = f"[127.0.0.1]:{self.port} {host_pub[0]} {host_pub[1]}\n"

    def start(self) -> None:
        Path("/run/sshd").mkdir(parents=True, exist_ok=True)
        with open(self.home / "sshd.log", "ab") as log:
            self.process = subprocess.Popen(
                [SSHD, "-D", "-e", "-f", str(self.config)], stdout=subprocess.DEVNULL, stderr=log
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"sshd exited: {(self.home / 'sshd.log').read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    if sock.recv(4).startswith(b"SSH-"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("sshd did not start listening in time")

    def stop(self) -> None:
        """Stop the server and the sessions it forked (as a real server restart would)."""
        if self.process is not None:
            sessions = _descendants(self.process.pid)
            self.process.terminate()
            self.process.wait(timeout=10)
            for pid in sessions:
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            self.process = None


def _descendants(pid: int) -> list[int]:
    """Process ids whose parent chain leads to ``pid`` (read from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        children = [child for child, parent in parents.items() if parent == current]
        found.extend(children)
        frontier.extend(children)
    return found


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    """One sshd for the whole session (tests use their own folders under its root)."""
    reason = sshd_missing_reason()
    if reason:
        pytest.skip(reason)
    server = Sshd(tmp_path_factory.mktemp("sshd"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def make_sshd(tmp_path: Path) -> Iterator[Callable[..., Sshd]]:
    """``make_sshd(*extra sshd_config lines)``: private sshd instances (stopped after the test)."""
    reason = sshd_missing_reason()
    if reason:
        pytest.skip(reason)
    made: list[Sshd] = []

    def make(*extra_config: str) -> Sshd:
        server = Sshd(tmp_path / f"sshd{len(made)}", extra_config=extra_config)
        made.append(server)
        return server

    yield make
    for server in made:
        server.stop()


def sftp_config(server: Sshd, folder: str, tmp_path: Path, **overrides: object) -> SftpConfig:
    """An SFTP mailbox profile for ``server`` using ``<root>/<folder>/{in,out,done}``."""
    for sub in ("in", "out", "done"):
        (server.root / folder / sub).mkdir(parents=True, exist_ok=True)
    known_hosts = tmp_path / f"known_hosts_{server.port}"
    if not known_hosts.exists():
        known_hosts.write_text(server.known_hosts_line)
    settings: dict[str, object] = {
        "name": "sftp",
        "type": "sftp",
        "host": "127.0.0.1",
        "port": server.port,
        "username": server.user,
        "key_file": str(server.client_key),
        "known_hosts": str(known_hosts),
        "inbox": f"{folder}/in",
        "outbox": f"{folder}/out",
        "processed": None,
        "stable_seconds": 0.5,
        "timeout_seconds": 10,
    }
    settings.update(overrides)
    return SftpConfig.model_validate(settings)


@pytest.fixture
def sftp_box(sshd: Sshd, tmp_path: Path, request: pytest.FixtureRequest) -> Callable[..., SftpConfig]:
    """``sftp_box(**overrides)``: a profile on the session sshd, in a folder of its own."""
    folder = request.node.name.replace("[", "_").replace("]", "_")

    def make(**overrides: object) -> SftpConfig:
        return sftp_config(sshd, folder, tmp_path, **overrides)

    return make


@pytest.fixture
def sftp_profile(tmp_path: Path) -> Callable[..., SftpConfig]:
    """``sftp_profile(server, folder, **overrides)`` for tests that run their own sshd."""

    def make(server: Sshd, folder: str, **overrides: object) -> SftpConfig:
        return sftp_config(server, folder, tmp_path, **overrides)

    return make


# -- AS2 -------------------------------------------------------------------------------------------


def make_certificate(
    folder: Path, name: str, days: int = 365, password: str | None = None
) -> tuple[Path, Path]:
    """An RSA key and a self-signed certificate for ``name`` (PEM files in ``folder``)."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=max(1, 1 - days)))
        .not_valid_after(now + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    encryption = (
        serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption()
    )
    key_path, cert_path = folder / f"{name}.key", folder / f"{name}.crt"
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


@dataclass
class Pki:
    folder: Path
    acme: tuple[Path, Path]
    amazon: tuple[Path, Path]
    stranger: tuple[Path, Path]


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """Key pairs for us (ACME), the partner (AMAZON) and a stranger, made once per session."""
    folder = tmp_path_factory.mktemp("pki")
    return Pki(
        folder,
        make_certificate(folder, "acme"),
        make_certificate(folder, "amazon"),
        make_certificate(folder, "stranger"),
    )


@dataclass
class HttpServer:
    """A real threaded HTTP server on 127.0.0.1 running a WSGI app."""

    app: object
    server: object = None
    thread: object = None

    def __post_init__(self) -> None:
        import threading

        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)  # type: ignore[arg-type]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)  # type: ignore[attr-defined]
        self.thread.start()  # type: ignore[attr-defined]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"  # type: ignore[attr-defined]

    def stop(self) -> None:
        self.server.shutdown()  # type: ignore[attr-defined]
        self.server.server_close()  # type: ignore[attr-defined]


@pytest.fixture
def http_server() -> Iterator[Callable[[object], HttpServer]]:
    """``http_server(wsgi_app)`` -> a running :class:`HttpServer` (stopped after the test)."""
    started: list[HttpServer] = []

    def start(app: object) -> HttpServer:
        server = HttpServer(app)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
