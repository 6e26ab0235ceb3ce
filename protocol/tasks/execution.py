"""One execution: a worker module (by CID) run on a round's batch, and what came of it.

:func:`execute` is the one code path both executors take — in this process, or in a Celery
pool process — so a round's outputs and fuel are the same wherever it runs. The wire forms
are JSON (the pool accepts no pickles): bytes travel as base64.
"""

from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import dataclass, fields
from typing import Any

from protocol.errors import PoolError, SandboxError, StoreError
from protocol.runtime import WorkerRuntime
from protocol.sandbox import Limits

log = logging.getLogger(__name__)

#: The failure kind of a worker whose module could not be fetched or compiled.
UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class Execution:
    cid: str
    #: The worker's output, or None when it failed.
    output: bytes | None
    #: The sandbox's failure kind (``out-of-fuel``, ...), ``unavailable``, or None.
    failure: str | None
    fuel_used: int
    #: Seconds of the run itself (fetching and compiling excluded).
    elapsed_s: float
    #: Where it ran: ``local``, or the pool worker's name.
    host: str = "local"

    def to_wire(self) -> dict[str, Any]:
        return {
            "cid": self.cid,
            "output": None if self.output is None else encode_bytes(self.output),
            "failure": self.failure,
            "fuel_used": self.fuel_used,
            "elapsed_s": self.elapsed_s,
            "host": self.host,
        }

    @classmethod
    def from_wire(cls, wire: Any) -> Execution:
        """The execution a pool worker reported; :class:`PoolError` when it is malformed."""
        try:
            output = wire["output"]
            execution = cls(
                cid=str(wire["cid"]),
                output=None if output is None else decode_bytes(output),
                failure=None if wire["failure"] is None else str(wire["failure"]),
                fuel_used=int(wire["fuel_used"]),
                elapsed_s=float(wire["elapsed_s"]),
                host=str(wire["host"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PoolError(f"a pool worker answered a malformed execution: {exc!r}") from exc
        if (execution.output is None) == (execution.failure is None):
            raise PoolError("a pool worker answered an execution with both or neither output")
        return execution


def execute(runtime: WorkerRuntime, cid: str, data: bytes, limits: Limits) -> Execution:
    """Fetch (verified against the CID), compile or take from the cache, and run the worker
    on ``data`` under ``limits``. A worker that cannot be fetched or compiled, or whose run
    fails, gets its failure kind, never an exception: it is the worker's failure, scored 0."""
    try:
        worker = runtime.fetch_module(cid)
    except (StoreError, SandboxError) as exc:
        log.info("worker %s unavailable: %s", cid, exc)
        return Execution(cid, None, UNAVAILABLE, 0, 0.0)
    try:
        result = runtime.run(worker, data, limits)
    except SandboxError as exc:
        return Execution(cid, None, exc.kind, exc.fuel_used, 0.0)
    return Execution(cid, result.output, None, result.fuel_used, result.elapsed_s)


def limits_to_wire(limits: Limits) -> dict[str, Any]:
    wire = {f.name: getattr(limits, f.name) for f in fields(limits)}
    wire["allowed_imports"] = sorted(limits.allowed_imports)
    return wire


def limits_from_wire(wire: Any) -> Limits:
    try:
        return Limits(
            fuel_limit=int(wire["fuel_limit"]),
            memory_limit_bytes=int(wire["memory_limit_bytes"]),
            deadline_s=float(wire["deadline_s"]),
            output_limit_bytes=int(wire["output_limit_bytes"]),
            allowed_imports=frozenset(str(name) for name in wire["allowed_imports"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PoolError(f"malformed limits in a pool task: {exc!r}") from exc


def encode_bytes(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def decode_bytes(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, TypeError) as exc:
        raise ValueError(f"not base64: {exc}") from exc
