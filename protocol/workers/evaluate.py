"""Accuracy of workers on a labelled set, run in the sandbox like any request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from oracle.datasets import LabelledSet
from oracle.scoring import accuracy
from protocol.errors import SandboxError
from protocol.runtime import LoadedWorker, WorkerRuntime


@dataclass(frozen=True)
class Evaluation:
    name: str
    cid: str
    #: 0.0 for a worker that failed (``error`` names the failure kind, e.g. ``out-of-fuel``).
    accuracy: float
    fuel_used: int
    elapsed_s: float
    error: str | None = None


def evaluate(
    runtime: WorkerRuntime, name: str, load: Callable[[], LoadedWorker], dataset: LabelledSet
) -> Evaluation:
    """Load a worker, run it once on the whole set and score its answers. A worker that
    cannot load or run scores 0 with the failure's kind (``forbidden-import``, ...)."""
    try:
        worker = load()
    except SandboxError as exc:
        return Evaluation(name, "", 0.0, 0, 0.0, exc.kind)
    try:
        result = runtime.run(worker, dataset.batch())
    except SandboxError as exc:
        return Evaluation(name, worker.cid, 0.0, exc.fuel_used, 0.0, exc.kind)
    return Evaluation(
        name,
        worker.cid,
        accuracy(result.output, dataset.labels),
        result.fuel_used,
        result.elapsed_s,
    )
