"""Where a round's workers run: in this process, or spread over a Celery pool with Redis.

:mod:`executors` holds what the engine sees (no Celery import); :mod:`pool` is the engine's
side of the pool, :mod:`worker` the pool worker (``memjit pool start``), :mod:`app` the Celery
configuration both share.
"""

from protocol.tasks.execution import Execution, execute
from protocol.tasks.executors import Executor, LocalExecutor

__all__ = ["Execution", "Executor", "LocalExecutor", "execute"]
