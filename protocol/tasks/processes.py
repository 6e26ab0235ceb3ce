"""The pool's processes on this machine, as tests and benchmarks start them: a throwaway Redis
(Debian's ``redis-server`` on a loopback port, nothing saved to disk — the package installs
Redis without starting it) and pool workers (``memjit pool start`` in a child process)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from protocol.chain.anvil import free_port
from protocol.errors import ConfigError
from protocol.processes import terminate


@dataclass
class RedisProcess:
    process: subprocess.Popen[Any]
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        terminate(self.process)


def find_redis_server() -> str:
    path = shutil.which("redis-server")
    if path is None:
        raise ConfigError("redis-server is not installed (Debian: apt-get install redis-server)")
    return path


def start_redis(port: int | None = None, timeout_s: float = 10.0) -> RedisProcess:
    """Start ``redis-server`` on 127.0.0.1 and wait until it answers PING."""
    port = port or free_port()
    command = [
        find_redis_server(),
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--save", "",
        "--appendonly", "no",
        "--loglevel", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout_s
    while not _answers_ping(port):
        if process.poll() is not None:
            error = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise ConfigError(f"redis-server exited at start: {error.strip()[-300:]}")
        if time.monotonic() > deadline:
            terminate(process)
            raise ConfigError(f"redis-server did not answer on port {port} within {timeout_s} s")
        time.sleep(0.02)
    return RedisProcess(process, port)


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class PoolProcess:
    """A ``memjit pool start`` child, in its own process group (its pool processes too)."""

    process: subprocess.Popen[str]
    name: str
    log: Path

    def kill(self) -> None:
        """SIGKILL the worker and all its pool processes at once: a machine dying."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        """SIGTERM: finish the runs in hand, then exit."""
        terminate(self.process, timeout_s=30)


def start_pool_worker(
    broker: str,
    name: str,
    log: Path,
    concurrency: int = 1,
    env: dict[str, str] | None = None,
    timeout_s: float = 60.0,
) -> PoolProcess:
    """Start a pool worker on ``broker`` and wait for its ready line; output goes to ``log``."""
    command = [
        sys.executable, "-m", "protocol.cli.main", "pool", "start",
        "--broker", broker, "--concurrency", str(concurrency), "--name", name,
    ]  # fmt: skip
    with log.open("w") as out:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
    worker = PoolProcess(process, name, log)
    deadline = time.monotonic() + timeout_s
    try:
        while "ready:" not in log.read_text(errors="replace"):
            if process.poll() is not None:
                raise ConfigError(f"pool worker {name} exited: {log.read_text()[-500:]}")
            if time.monotonic() > deadline:
                raise ConfigError(f"pool worker {name} not ready within {timeout_s} s")
            time.sleep(0.05)
    except BaseException:  # its own session: Ctrl-C here would not reach it
        worker.kill()
        raise
    return worker
