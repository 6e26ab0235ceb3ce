"""A pool worker: a Celery worker whose processes each run workers for the engine.

Each pool process keeps one wasmtime engine and module cache, created in that process after
the fork (a wasmtime engine and its epoch-clock thread do not survive ``fork``), and reads
modules from the store its own settings name — the same IPFS node as the engine's, or, on one
machine, the same ``MEMJIT_HOME``. The compiled-module disk cache and usage counters are
shared through that home, as for any other process of the node.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable
from typing import Any

from celery import Celery, Task
from celery.exceptions import SecurityWarning
from celery.signals import worker_process_init, worker_process_shutdown, worker_ready

from protocol.errors import PoolError
from protocol.pool.app import TASK_NAME, WORKER_LOST_RETRIES, pool_app, safe_url
from protocol.pool.codec import decode_bytes, execution_to_wire, limits_from_wire
from protocol.runtime import WorkerRuntime
from protocol.settings import Settings

log = logging.getLogger(__name__)


class _ProcessRuntime:
    """This process's runtime, made on first use in the process that uses it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pid = -1
        self._runtime: WorkerRuntime | None = None

    def get(self) -> WorkerRuntime:
        if self._runtime is None or self._pid != os.getpid():
            # A runtime inherited through fork is dropped, not closed: its clock thread
            # did not come along, and closing would flush the parent's counters twice.
            self._runtime = WorkerRuntime.from_settings(self.settings)
            self._pid = os.getpid()
        return self._runtime

    def close(self) -> None:
        if self._runtime is not None and self._pid == os.getpid():
            self._runtime.close()
        self._runtime = None


def worker_app(settings: Settings) -> Celery:
    """The pool's app with the execute task registered, for a pool worker."""
    app = pool_app(settings)
    runtime = _ProcessRuntime(settings)

    @app.task(  # type: ignore[untyped-decorator]
        name=TASK_NAME,
        bind=True,
        max_retries=WORKER_LOST_RETRIES,
        default_retry_delay=0,
    )
    def run_worker(task: Task, cid: str, data: str, limits: dict[str, Any]) -> dict[str, Any]:
        run_limits = limits_from_wire(limits)
        if run_limits.deadline_s >= settings.pool_redeliver_s:
            # Redis would hand the run to a second worker while the first still has it.
            raise PoolError(
                f"this pool hands out runs again after {settings.pool_redeliver_s:g} s, within "
                f"the round's {run_limits.deadline_s:g} s deadline: start it with "
                f"MEMJIT_POOL_REDELIVER_S above {run_limits.deadline_s:g}"
            )
        execution = runtime.get().execute(cid, decode_bytes(data), run_limits)
        wire = execution_to_wire(execution)
        wire["host"] = str(task.request.hostname or "pool")
        return wire

    def warm(**_: Any) -> None:
        runtime.get()

    def flush(**_: Any) -> None:
        runtime.close()

    worker_process_init.connect(warm, weak=False)
    worker_process_shutdown.connect(flush, weak=False)
    return app


def start_worker(
    settings: Settings,
    concurrency: int,
    name: str,
    loglevel: str = "WARNING",
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Run a pool worker in this process until it is stopped (SIGTERM or Ctrl-C finish the
    runs in hand first; a second Ctrl-C stops at once, and those runs go to other workers)."""
    # Celery warns a worker running as root that a pickle from the broker could run code as
    # root; this pool accepts JSON only (see app.py), so the warning does not apply.
    warnings.filterwarnings("ignore", category=SecurityWarning)
    app = worker_app(settings)
    if on_ready is not None:
        broker = safe_url(settings.broker or "")

        def ready(**_: Any) -> None:
            on_ready(f"pool worker {name} ready: {concurrency} processes on {broker}")

        worker_ready.connect(ready, weak=False)
    worker = app.Worker(
        hostname=name,
        concurrency=concurrency,
        pool_cls="prefork",
        loglevel=loglevel,
        optimization="fair",
        without_gossip=True,
        without_mingle=True,
        without_heartbeat=True,
        quiet=True,
    )
    worker.start()
    code = getattr(worker, "exitcode", 0) or 0
    if code:
        raise SystemExit(code)
