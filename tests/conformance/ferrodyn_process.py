"""Starting and stopping a real `ferrodyn serve` process for the conformance suite.

A `FerrodynProcess` picks a free loopback port, starts the binary named by `FERRODYN_BIN`
(default: `target/debug/ferrodyn` of this checkout), waits until `GET /health` answers 200, and
stops the process by its PID. The server's stderr goes to a log file that is printed when the
server fails to become ready, so a broken start explains itself.
"""

from __future__ import annotations

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

    def __init__(self, storage_args: list[str], port: int | None = None):
        self.storage_args = storage_args
        self.port = port or free_port()
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
