"""Pool workers as tests and benchmarks start them: ``memjit pool start`` in a child process
of its own session (so a kill takes its pool processes too)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from protocol.processes import ChildProcess


@dataclass(kw_only=True)
class PoolProcess(ChildProcess):
    """A ``memjit pool start`` child, in its own process group (its pool processes too).
    :meth:`kill` is a machine dying; :meth:`stop` (SIGTERM) finishes the runs in hand."""

    name: str
    log: Path

    kind = "pool worker"
    stop_timeout_s = 30.0


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
    worker = PoolProcess(process, name=name, log=log)
    worker.wait_ready(
        lambda: "ready:" in log.read_text(errors="replace"),
        timeout_s,
        said=lambda: log.read_text()[-500:],
    )
    return worker
