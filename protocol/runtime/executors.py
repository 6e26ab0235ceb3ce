"""Where a round's workers run: the :class:`Executor` the engine hands its batch to.

:class:`LocalExecutor` runs them one after another in this process; the pool's executor
(:mod:`protocol.pool.executor`) spreads them over Celery workers. Both take the same
:meth:`~protocol.runtime.WorkerRuntime.execute` path, so they give the same outputs and fuel.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from protocol.runtime.worker_runtime import Execution, WorkerRuntime


class Executor(Protocol):
    #: Where runs happen, for logs and health reports (``in-process``, the broker's URL).
    where: str

    def check(self) -> None:
        """Raise :class:`~protocol.errors.PoolUnavailable` when runs cannot happen now: the
        engine asks before it opens a round, so an outage costs no gas."""

    def execute_all(self, cids: Sequence[str], data: bytes) -> list[Execution]:
        """Each worker run on ``data``, in the order of ``cids``. A worker's own failure is
        in its :class:`Execution`; a failure of the executor itself raises
        :class:`~protocol.errors.PoolError` (the round is then abandoned)."""
        ...

    def close(self) -> None: ...


class LocalExecutor:
    """The runs in this process, under the runtime's limits."""

    where = "in-process"

    def __init__(self, runtime: WorkerRuntime) -> None:
        self.runtime = runtime

    def check(self) -> None:
        return None

    def execute_all(self, cids: Sequence[str], data: bytes) -> list[Execution]:
        limits = self.runtime.vm.limits
        return [self.runtime.execute(cid, data, limits) for cid in cids]

    def close(self) -> None:
        return None
