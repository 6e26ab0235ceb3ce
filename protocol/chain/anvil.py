"""Running anvil, the local devnet, from the npm package ``@foundry-rs/anvil``.

anvil runs in L2 mode (``--network optimism``: OP-stack transaction types and fee rules) with
a zero base fee, chain id 31337 and its well-known funded accounts.
"""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from protocol.errors import ChainError, ConfigError
from protocol.processes import ChildProcess, search_folders

READY_TIMEOUT_S = 15.0
_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def find_anvil() -> Path:
    """The anvil binary: ``$MEMJIT_ANVIL``, else the npm package's native binary in the
    repository's node_modules, else ``anvil`` on PATH."""
    explicit = os.environ.get("MEMJIT_ANVIL")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"MEMJIT_ANVIL points at {path}, which does not exist")
        return path
    system = platform.system().lower()
    arch = _ARCH.get(platform.machine().lower(), platform.machine().lower())
    for folder in search_folders(Path.cwd()):
        candidate = (
            folder / "node_modules" / "@foundry-rs" / f"anvil-{system}-{arch}" / "bin" / "anvil"
        )
        if candidate.is_file():
            return candidate
    on_path = shutil.which("anvil")
    if on_path:
        return Path(on_path)
    raise ConfigError(
        "anvil not found: run `npm install` in the repository (it installs @foundry-rs/anvil)"
    )


def anvil_command(port: int, host: str = "127.0.0.1", chain_id: int | None = None) -> list[str]:
    extra = ["--chain-id", str(chain_id)] if chain_id is not None else []
    return [
        str(find_anvil()),
        "--host",
        host,
        "--port",
        str(port),
        "--network",
        "optimism",
        "--block-base-fee-per-gas",
        "0",
        *extra,
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def answers_rpc(url: str) -> bool:
    """Whether the node at ``url`` answers ``eth_chainId``."""
    payload: dict[str, Any] = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
    try:
        return requests.post(url, json=payload, timeout=1).ok
    except requests.RequestException:
        return False


@dataclass(kw_only=True)
class AnvilProcess(ChildProcess):
    """A running anvil started by us."""

    url: str
    port: int

    kind = "anvil"
    start_error = ChainError
    stop_timeout_s = 5.0


def start_anvil(
    port: int | None = None,
    log_file: Path | None = None,
    detach: bool = False,
    chain_id: int | None = None,
) -> AnvilProcess:
    """Starts anvil on ``port`` (a free one if None) and waits until it answers. ``chain_id``
    overrides anvil's 31337, e.g. to stand in for a chain that is not a devnet."""
    port = port or free_port()
    if port_in_use(port):
        raise ChainError(
            f"port {port} is already in use (another node running? `memjit chain down`)"
        )
    command = anvil_command(port, chain_id=chain_id)
    if log_file is None:
        command.append("--silent")
    output = open(log_file, "ab") if log_file is not None else subprocess.DEVNULL  # noqa: SIM115
    try:
        process = subprocess.Popen(
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=detach,
        )
    finally:
        if log_file is not None:
            output.close()  # type: ignore[union-attr]
    anvil = AnvilProcess(process, url=f"http://127.0.0.1:{port}", port=port)
    anvil.wait_ready(lambda: answers_rpc(anvil.url), READY_TIMEOUT_S)
    return anvil


@contextlib.contextmanager
def running_anvil(port: int | None = None, chain_id: int | None = None) -> Iterator[AnvilProcess]:
    """anvil for the duration of a ``with`` block."""
    anvil = start_anvil(port, chain_id=chain_id)
    try:
        yield anvil
    finally:
        anvil.stop()


def pid_file(home: Path, port: int) -> Path:
    return home / f"anvil-{port}.pid"


def stop_detached(home: Path, port: int) -> int:
    """Stops the anvil that ``memjit chain up --detach`` started on ``port``; returns its pid."""
    path = pid_file(home, port)
    if not path.is_file():
        raise ChainError(f"no detached anvil on port {port} (no pid file {path})")
    try:
        pid = int(path.read_text().strip())
    except ValueError as exc:
        raise ChainError(f"pid file {path} is damaged") from exc
    if not _is_anvil(pid):
        path.unlink()
        raise ChainError(f"anvil (pid {pid}) is not running any more; removed the stale pid file")
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _is_anvil(pid):
        time.sleep(0.05)
    if _is_anvil(pid):
        os.kill(pid, signal.SIGKILL)
    path.unlink(missing_ok=True)
    return pid


def _is_anvil(pid: int) -> bool:
    """True if ``pid`` is a live anvil process (guards against recycled pids)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True  # no /proc: trust the pid
    if not cmdline:
        return False  # zombie
    return b"anvil" in cmdline.split(b"\0")[0]
