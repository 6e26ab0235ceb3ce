"""A throwaway Redis for the pool's tests and benchmarks: Debian's ``redis-server`` on a
loopback port, nothing saved to disk (the package installs Redis without starting it)."""

from __future__ import annotations

import shutil
import socket
import subprocess
from dataclasses import dataclass

from protocol.chain.anvil import free_port
from protocol.errors import ConfigError
from protocol.processes import ChildProcess


@dataclass(kw_only=True)
class RedisProcess(ChildProcess):
    port: int

    kind = "redis-server"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


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
    redis = RedisProcess(process, port=port)

    def said() -> str:
        error = process.stderr.read().decode(errors="replace") if process.stderr else ""
        return error.strip()[-300:]

    redis.wait_ready(lambda: _answers_ping(port), timeout_s, said=said, poll_s=0.02)
    return redis


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False
