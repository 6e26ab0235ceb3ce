"""Child processes MemJit starts (anvil; for the tests, Redis, pool workers and a js-ipfs
node): one base class that knows how to wait for one to be ready and how to stop it, and
where their tools live."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from protocol.errors import ConfigError, MemJitError


def search_folders(start: Path | None = None) -> list[Path]:
    """Where to look for the source checkout (its node_modules and tools/): ``start`` and its
    parents, then the folders above this package."""
    here = Path(__file__).resolve().parent
    started = [] if start is None else [start, *start.parents]
    return [*started, here, *here.parents]


def terminate(process: subprocess.Popen[Any], timeout_s: float = 10.0) -> None:
    """Stop ``process``: SIGTERM, then SIGKILL if it has not exited within ``timeout_s``."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class ChildProcess:
    """A long-running child process: a server or a worker of ours.

    Subclasses name what they are (``kind``), which error a failed start raises
    (``start_error``), and how long SIGTERM may take before SIGKILL (``stop_timeout_s``).
    """

    process: subprocess.Popen[Any]

    kind: ClassVar[str] = "process"
    start_error: ClassVar[type[MemJitError]] = ConfigError
    stop_timeout_s: ClassVar[float] = 10.0

    def wait_ready(
        self,
        ready: Callable[[], bool],
        timeout_s: float,
        said: Callable[[], str] = lambda: "",
        poll_s: float = 0.05,
    ) -> None:
        """Poll ``ready`` until it holds. If the process exits first, or ``timeout_s``
        passes, it is killed and :attr:`start_error` raised, with what the process ``said``
        (e.g. the tail of its log)."""
        deadline = time.monotonic() + timeout_s
        try:
            while not ready():
                if self.process.poll() is not None:
                    problem = f"exited with code {self.process.returncode} before it was ready"
                elif time.monotonic() > deadline:
                    problem = f"was not ready within {timeout_s:g} s"
                else:
                    time.sleep(poll_s)
                    continue
                output = said()
                raise self.start_error(f"{self.kind} {problem}" + (f": {output}" if output else ""))
        except BaseException:
            self.kill()  # Ctrl-C included: a child of its own session would outlive us
            raise

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after :attr:`stop_timeout_s`."""
        terminate(self.process, self.stop_timeout_s)

    def kill(self) -> None:
        """SIGKILL the process, and its whole group when it leads one (a machine dying)."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                if os.getpgid(self.process.pid) == self.process.pid:
                    os.killpg(self.process.pid, signal.SIGKILL)
                else:
                    self.process.kill()
        self.process.wait()
