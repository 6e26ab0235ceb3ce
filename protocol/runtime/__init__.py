"""Running workers: fetch → compile → run, one path whose failures score zero
(:class:`WorkerRuntime`), and where a round's runs happen (:class:`Executor`: this process,
or the Celery pool of :mod:`protocol.pool`)."""

from protocol.runtime.accuracy import AccuracyReport, measure_accuracy
from protocol.runtime.executors import Executor, LocalExecutor
from protocol.runtime.worker_runtime import Execution, LoadedWorker, WorkerRuntime

__all__ = [
    "AccuracyReport",
    "Execution",
    "Executor",
    "LoadedWorker",
    "LocalExecutor",
    "WorkerRuntime",
    "measure_accuracy",
]
