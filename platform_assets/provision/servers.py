"""Local protocol servers (moto's for AWS, fakesnow's for Snowflake) as background processes
that a later command finds and stops.

Each server runs in its own session (`start_new_session`), so stopping it signals its whole
process group: servers built on werkzeug or uvicorn may ignore SIGTERM to the parent alone, or
leave a reloader child behind. Its pid, process group, start time and port are kept in
`<state>/<name>.json`; the start time guards against signalling an unrelated process that
reused the pid after a reboot. Starting a server that is already running returns it unchanged,
so bringing the trial up twice starts nothing new.

psutil (a dependency of Dagster) tells a live process from a reused pid or a zombie the same
way on Linux and macOS.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

from platform_assets.errors import PlatformError

HOST = "127.0.0.1"
READY_WAIT_S = 60
STOP_WAIT_S = 10


@dataclass(frozen=True)
class ServerSpec:
    name: str
    argv: Callable[[int], list[str]]  # the command line, given the port
    ready: Callable[[int], bool]  # True once the server answers on the port
    needs: str  # the Python module it runs, named when it is not installed


@dataclass(frozen=True)
class RunningServer:
    name: str
    pid: int
    port: int
    started: float  # the process's create time, as psutil reports it
    log: str

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


def _http_answers(path: str) -> Callable[[int], bool]:
    def ready(port: int) -> bool:
        try:
            urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=1).close()
            return True
        except OSError:
            return False

    return ready


def _accepts(port: int) -> bool:
    try:
        socket.create_connection((HOST, port), 0.5).close()
        return True
    except OSError:
        return False


MOTO = ServerSpec(
    "moto",
    lambda port: [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)],
    _http_answers("/moto-api/"),
    "moto.server",
)
# fakesnow through the launcher that lets its DuckDB read moto's S3 (see fakesnow_s3.py)
FAKESNOW = ServerSpec(
    "fakesnow",
    lambda port: [
        sys.executable,
        "-m",
        "platform_assets.provision.fakesnow_s3",
        "-s",
        "--host",
        HOST,
        "--port",
        str(port),
    ],
    _accepts,
    "fakesnow",
)


def write_private(path: Path, text: str) -> None:
    """Write a state file whole or not at all, readable by its owner only (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.replace(tmp, path)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _state_file(state_dir: Path, name: str) -> Path:
    return state_dir / f"{name}.json"


def _alive(server: RunningServer) -> bool:
    """The recorded process still runs (same pid *and* start time, not a zombie)."""
    try:
        proc = psutil.Process(server.pid)
        return abs(proc.create_time() - server.started) < 1 and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def recorded(state_dir: Path, name: str) -> RunningServer | None:
    """The server `name` as recorded, whether or not it still runs."""
    path = _state_file(state_dir, name)
    if not path.exists():
        return None
    try:
        return RunningServer(**json.loads(path.read_text()))
    except (ValueError, TypeError) as exc:
        raise PlatformError(
            f"{path} is not a server record ({exc}); delete it if no server from it is running"
        ) from None


def running(state_dir: Path, name: str) -> RunningServer | None:
    server = recorded(state_dir, name)
    return server if server and _alive(server) else None


def _log_tail(log: Path, lines: int = 5) -> str:
    try:
        return " | ".join(log.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""


def start(spec: ServerSpec, state_dir: Path, env: dict[str, str] | None = None) -> tuple[RunningServer, bool]:
    """The running server `spec.name` (started now if it was not, with `env` added to this
    process's environment): (server, started_now)."""
    server = running(state_dir, spec.name)
    if server is not None:
        return server, False
    try:
        __import__(spec.needs)
    except ImportError:
        raise PlatformError(
            f"{spec.name} is not installed (module {spec.needs}); `make install` "
            "installs it with the dev extra"
        ) from None
    state_dir.mkdir(parents=True, exist_ok=True)
    port, log = free_port(), state_dir / f"{spec.name}.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen(  # noqa: S603 -- the spec's fixed argv (a server of this venv), no shell
            spec.argv(port),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
    server = RunningServer(spec.name, proc.pid, port, psutil.Process(proc.pid).create_time(), str(log))
    deadline = time.monotonic() + READY_WAIT_S
    while not spec.ready(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            _stop_group(server)
            why = (
                f"exited with {proc.returncode}"
                if proc.returncode is not None
                else f"did not answer on port {port} within {READY_WAIT_S} s"
            )
            raise PlatformError(f"the {spec.name} server {why}; its log ({log}): {_log_tail(log)}")
        time.sleep(0.1)
    write_private(_state_file(state_dir, spec.name), json.dumps(asdict(server)))
    return server, True


def _stop_group(server: RunningServer) -> None:
    """SIGTERM to the server's process group, SIGKILL if anything is left after a while."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(server.pid, sig)  # its own session: the group id is its pid
        except ProcessLookupError:
            return
        deadline = time.monotonic() + STOP_WAIT_S
        while time.monotonic() < deadline:
            _reap(server.pid)
            if not _group_alive(server.pid):
                return
            time.sleep(0.1)


def _reap(pid: int) -> None:
    """Collect the exit status if the server is this process's child (else it stays a zombie)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def _group_alive(pgid: int) -> bool:
    for proc in psutil.process_iter(["pid", "status"]):
        try:
            if os.getpgid(proc.info["pid"]) == pgid and proc.info["status"] != psutil.STATUS_ZOMBIE:
                return True
        except (ProcessLookupError, PermissionError, psutil.Error):
            continue
    return False


def stop(state_dir: Path, name: str) -> RunningServer | None:
    """Stop the recorded server `name` and forget it; the server stopped, or None."""
    server = recorded(state_dir, name)
    if server is None:
        return None
    alive = _alive(server)
    if alive:
        _stop_group(server)
    _state_file(state_dir, name).unlink(missing_ok=True)
    return server if alive else None
