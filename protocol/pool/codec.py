"""The pool's wire forms: what travels through Redis between the engine and pool workers.

JSON only (the pool accepts no pickles): bytes travel as base64. Everything a pool worker
answers is checked on the way back; :class:`~protocol.errors.PoolError` names what is wrong.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import fields
from typing import Any

from protocol.errors import PoolError
from protocol.runtime import Execution
from protocol.sandbox import Limits


def execution_to_wire(execution: Execution) -> dict[str, Any]:
    return {
        "cid": execution.cid,
        "output": None if execution.output is None else encode_bytes(execution.output),
        "failure": execution.failure,
        "fuel_used": execution.fuel_used,
        "elapsed_s": execution.elapsed_s,
        "host": execution.host,
    }


def execution_from_wire(wire: Any) -> Execution:
    """The execution a pool worker reported; :class:`PoolError` when it is malformed."""
    try:
        output = wire["output"]
        execution = Execution(
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
