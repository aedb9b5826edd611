"""Starting and stopping a real `ferrodyn serve` process for the conformance suite.

A `FerrodynProcess` picks a free loopback port, starts the binary named by `FERRODYN_BIN`
(default: `target/debug/ferrodyn` of this checkout), waits until `GET /health` answers 200, and
stops the process by its PID. The server's stderr goes to a log file that is printed when the
server fails to become ready, so a broken start explains itself.

A `FerrodynCluster` starts several such processes with peer ports: the first bootstraps a
cluster, the others join it, and it is ready once every node lists every member.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

# How long a server may take from exec to a healthy `/health` before the test fails.
READY_TIMEOUT_S = 10.0


def ferrodyn_bin() -> Path:
    """The binary under test: `$FERRODYN_BIN`, else this checkout's debug build."""
    configured = os.environ.get("FERRODYN_BIN")
    if configured:
        return Path(configured)
    return REPO_ROOT / "target" / "debug" / "ferrodyn"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listened on a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def health_ok(endpoint: str) -> bool:
    """True when `GET <endpoint>/health` answers 200."""
    try:
        with urllib.request.urlopen(endpoint + "/health", timeout=1.0) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, OSError):
        return False


class FerrodynProcess:
    """One `ferrodyn serve` process on a port of its own.

    `storage_args` is either `["--in-memory"]` or `["--data-dir", DIR]`. `port` may be given to
    restart a server where a previous one listened (clients keep their endpoint).
    """

    def __init__(
        self,
        storage_args: list[str],
        port: int | None = None,
        peer_port: int | None = None,
        join: str | None = None,
    ):
        self.storage_args = storage_args
        self.port = port or free_port()
        self.peer_port = peer_port
        self.join = join
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self._log = tempfile.NamedTemporaryFile(prefix="ferrodyn-", suffix=".log", delete=False)

    def command(self) -> list[str]:
        return [
            str(ferrodyn_bin()),
            "serve",
            "--listen",
            f"127.0.0.1:{self.port}",
            *self.storage_args,
            *(["--peer-listen", f"127.0.0.1:{self.peer_port}"] if self.peer_port else []),
            *(["--join", self.join] if self.join else []),
        ]

    def spawn(self) -> subprocess.Popen:
        """Starts the process without waiting for it to become ready."""
        binary = ferrodyn_bin()
        if not binary.exists():
            raise RuntimeError(
                f"ferrodyn binary not found at {binary}: build it with "
                "`cargo build -p ferrodyn-server --bin ferrodyn` or set FERRODYN_BIN / FERRODYN_ENDPOINT"
            )
        self.proc = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
        )
        return self.proc

    def start(self) -> "FerrodynProcess":
        """Starts the process and waits until `/health` answers 200 (at most READY_TIMEOUT_S)."""
        self.spawn()
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"ferrodyn exited with status {self.proc.returncode} before becoming ready:\n"
                    + self.log_text()
                )
            if health_ok(self.endpoint):
                return self
            time.sleep(0.02)
        self.kill()
        raise RuntimeError(f"ferrodyn did not answer /health within {READY_TIMEOUT_S} s:\n" + self.log_text())

    def log_text(self) -> str:
        self._log.flush()
        return Path(self._log.name).read_text(errors="replace")[-8000:]

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to flush anything."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL if it has not exited within 10 s. Returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode

    def close(self) -> None:
        """Stops the process and removes its log file."""
        self.stop()
        self._log.close()
        try:
            os.unlink(self._log.name)
        except FileNotFoundError:
            pass


# How long a cluster may take from its first exec until every node lists every member.
CLUSTER_READY_TIMEOUT_S = 60.0


def cluster_members(endpoint: str) -> int:
    """How many members the node at `endpoint` lists (0 if it does not answer)."""
    try:
        with urllib.request.urlopen(endpoint + "/cluster/status", timeout=1.0) as response:
            return len(json.load(response).get("members", []))
    except (urllib.error.URLError, ConnectionError, OSError, ValueError):
        return 0


class FerrodynCluster:
    """`size` `ferrodyn serve` processes on loopback forming one cluster.

    `storage_args(n)` gives node n's storage flags (`["--in-memory"]` or a data directory).
    """

    def __init__(self, size: int, storage_args):
        first_peer = free_port()
        self.nodes = [
            FerrodynProcess(
                storage_args(n),
                peer_port=first_peer if n == 0 else free_port(),
                join=None if n == 0 else f"127.0.0.1:{first_peer}",
            )
            for n in range(size)
        ]

    @property
    def endpoints(self) -> list[str]:
        return [node.endpoint for node in self.nodes]

    def start(self) -> "FerrodynCluster":
        """Starts the first node, then the others, and waits until every node lists them all."""
        try:
            self.nodes[0].start()
            for node in self.nodes[1:]:
                node.start()
            self.wait_for_members(len(self.nodes))
        except BaseException:
            self.close()
            raise
        return self

    def wait_for_members(self, count: int) -> None:
        deadline = time.monotonic() + CLUSTER_READY_TIMEOUT_S
        while time.monotonic() < deadline:
            live = [n for n in self.nodes if n.proc is not None and n.proc.poll() is None]
            if all(cluster_members(n.endpoint) >= count for n in live):
                return
            time.sleep(0.05)
        logs = "\n".join(n.log_text() for n in self.nodes)
        raise RuntimeError(f"the cluster did not list {count} members in time:\n{logs}")

    def close(self) -> None:
        for node in reversed(self.nodes):
            node.close()
