"""Accuracy of a worker on a labelled set (``memjit worker eval``), run like any request."""

from __future__ import annotations

from dataclasses import dataclass

from oracle.datasets import LabelledSet
from oracle.scoring import accuracy
from protocol.runtime.worker_runtime import WorkerRuntime


@dataclass(frozen=True)
class AccuracyReport:
    name: str
    cid: str
    #: 0.0 for a worker that failed (``error`` names the failure kind, e.g. ``out-of-fuel``).
    accuracy: float
    fuel_used: int
    elapsed_s: float
    error: str | None = None


def measure_accuracy(
    runtime: WorkerRuntime, name: str, target: str, dataset: LabelledSet
) -> AccuracyReport:
    """Run the worker ``target`` (a file or a CID) once on the whole set and score its
    answers; a worker that cannot load or run scores 0 with the failure's kind."""
    run = runtime.attempt(lambda: runtime.resolve(target), dataset.batch())
    return AccuracyReport(
        name,
        run.cid,
        0.0 if run.output is None else accuracy(run.output, dataset.labels),
        run.fuel_used,
        run.elapsed_s,
        run.failure,
    )
