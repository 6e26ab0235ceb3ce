"""``DarwinVM``: runs one worker on one input, in a fresh wasmtime instance, under limits.

Every run gets a new ``Store`` and ``Instance``, so nothing — globals, memory, allocator state
— survives from one run (or one worker) to the next. Each way a run can fail maps to one
:class:`~protocol.errors.SandboxError` subclass; the node goes on either way.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import wasmtime

from protocol.errors import (
    BadOutput,
    InvalidModule,
    OutOfFuel,
    OutOfMemory,
    SandboxError,
    Timeout,
    WorkerTrap,
)
from protocol.sandbox import abi
from protocol.sandbox.wasm_engine import EpochClock, new_engine
from protocol.settings import (
    DEFAULT_DEADLINE_S,
    DEFAULT_FUEL_LIMIT,
    DEFAULT_MEMORY_LIMIT_BYTES,
    DEFAULT_OUTPUT_LIMIT_BYTES,
    Settings,
)

_WASM_MAGIC = b"\0asm"
#: A failed run whose memory is this close to the cap counts as out of memory. wasmtime's
#: Python API cannot report a refused ``memory.grow`` directly (the grow returns -1 and the
#: worker fails later), so the sandbox judges by how full the memory is.
_MEMORY_MARGIN_BYTES = 1024 * 1024
#: Bounds on what ``memjit.log`` keeps of one run.
_LOG_LINES = 64
_LOG_LINE_BYTES = 1_024


@dataclass(frozen=True)
class Limits:
    """What one run may use."""

    fuel_limit: int = DEFAULT_FUEL_LIMIT
    memory_limit_bytes: int = DEFAULT_MEMORY_LIMIT_BYTES
    deadline_s: float = DEFAULT_DEADLINE_S
    output_limit_bytes: int = DEFAULT_OUTPUT_LIMIT_BYTES
    #: Host functions (``module.name``) a worker may import; see :data:`abi.HOST_FUNCTIONS`.
    allowed_imports: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            fuel_limit=settings.fuel_limit,
            memory_limit_bytes=settings.memory_limit_bytes,
            deadline_s=settings.deadline_s,
            output_limit_bytes=settings.output_limit_bytes,
        )

    def but(self, **changes: Any) -> Limits:
        """A copy with some limits changed (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


@dataclass(frozen=True)
class RunResult:
    """A successful run."""

    output: bytes
    fuel_used: int
    elapsed_s: float
    #: Lines the worker wrote through ``memjit.log`` (only when allow-listed).
    logs: tuple[str, ...] = ()


class DarwinVM:
    """The sandbox. Thread-safe: runs share the engine and the compiled modules only."""

    def __init__(self, limits: Limits | None = None, engine: wasmtime.Engine | None = None) -> None:
        self.limits = limits or Limits()
        self.engine = engine or new_engine()
        self._clock = EpochClock(self.engine)
        # A VM dropped without close() stops its clock too (and at interpreter exit).
        self._stop_clock = weakref.finalize(self, self._clock.stop)

    def close(self) -> None:
        self._stop_clock()

    # -- modules ---------------------------------------------------------------------------

    def compile(self, wasm: bytes) -> wasmtime.Module:
        """Compile a WebAssembly binary and check it against the ABI and the import
        allow-list (:class:`InvalidModule`, :class:`ForbiddenImport`)."""
        if not wasm.startswith(_WASM_MAGIC):
            raise InvalidModule(
                "not a WebAssembly binary (no \\0asm header); "
                "build sources first with `memjit worker build`"
            )
        try:
            module = wasmtime.Module(self.engine, wasm)
        except wasmtime.WasmtimeError as exc:
            raise InvalidModule(f"not a valid WebAssembly module: {_first_cause(exc)}") from exc
        self.check(module)
        return module

    def check(self, module: wasmtime.Module) -> None:
        """Enforce the ABI and the allow-list on an already compiled module."""
        abi.check_exports(module)
        abi.check_imports(module, self.limits.allowed_imports)

    # -- runs ------------------------------------------------------------------------------

    def run(self, module: wasmtime.Module, data: bytes, limits: Limits | None = None) -> RunResult:
        """Run ``module`` on ``data`` in a fresh instance; a :class:`SandboxError` subclass
        says why a run failed."""
        limits = limits or self.limits
        store = wasmtime.Store(self.engine)
        store.set_fuel(limits.fuel_limit)
        store.set_limits(memory_size=limits.memory_limit_bytes)
        store.set_epoch_deadline(self._clock.ticks_for(limits.deadline_s))
        logs: list[str] = []
        imports = _host_imports(store, module, logs) if module.imports else []
        memory: wasmtime.Memory | None = None
        started = time.perf_counter()
        try:
            instance = wasmtime.Instance(store, module, imports)
            exports = instance.exports(store)
            exported_memory, alloc, entry = (
                exports[abi.MEMORY],
                exports[abi.ALLOC],
                exports[abi.RUN],
            )
            # check_exports vetted the types at compile time; these narrow them for mypy.
            assert isinstance(exported_memory, wasmtime.Memory)
            assert isinstance(alloc, wasmtime.Func) and isinstance(entry, wasmtime.Func)
            memory = exported_memory
            ptr = alloc(store, len(data))
            if not _in_bounds(ptr, len(data), memory.data_len(store)):
                if _at_cap(store, memory, limits):
                    raise OutOfMemory(f"alloc({len(data)}) failed at the memory cap")
                raise BadOutput(f"alloc({len(data)}) returned {ptr}, outside the memory")
            if data:
                memory.write(store, data, ptr)
            out_ptr, out_len = abi.unpack_output(entry(store, ptr, len(data)))
            if out_len > limits.output_limit_bytes:
                raise BadOutput(
                    f"output of {out_len} bytes exceeds the cap of {limits.output_limit_bytes}"
                )
            if not _in_bounds(out_ptr, out_len, memory.data_len(store)):
                raise BadOutput(f"output [{out_ptr}, +{out_len}) lies outside the memory")
            output = bytes(memory.read(store, out_ptr, out_ptr + out_len))
        except SandboxError as exc:
            exc.fuel_used = _fuel_used(store, limits)
            raise
        except wasmtime.Trap as exc:
            raise _classify_trap(exc, store, memory, limits) from exc
        except wasmtime.WasmtimeError as exc:
            raise _classify_error(exc, store, limits) from exc
        elapsed = time.perf_counter() - started
        return RunResult(output, _fuel_used(store, limits), elapsed, tuple(logs))


def _in_bounds(ptr: int, length: int, memory_len: int) -> bool:
    return ptr >= 0 and ptr + length <= memory_len and (ptr > 0 or length == 0)


def _at_cap(store: wasmtime.Store, memory: wasmtime.Memory | None, limits: Limits) -> bool:
    """Whether the memory is within the margin of its cap (so a failure is a memory failure)."""
    return (
        memory is not None
        and memory.data_len(store) + _MEMORY_MARGIN_BYTES > limits.memory_limit_bytes
    )


def _fuel_used(store: wasmtime.Store, limits: Limits) -> int:
    return limits.fuel_limit - store.get_fuel()


def _classify_trap(
    exc: wasmtime.Trap, store: wasmtime.Store, memory: wasmtime.Memory | None, limits: Limits
) -> SandboxError:
    fuel = _fuel_used(store, limits)
    if exc.trap_code == wasmtime.TrapCode.OUT_OF_FUEL:
        return OutOfFuel(f"out of fuel: the budget of {limits.fuel_limit} ran out", fuel)
    if exc.trap_code == wasmtime.TrapCode.INTERRUPT:
        return Timeout(f"timed out: the {limits.deadline_s:g} s deadline passed", fuel)
    if _at_cap(store, memory, limits):
        return OutOfMemory(
            f"out of memory: trapped ({_trap_reason(exc)}) at the "
            f"{limits.memory_limit_bytes}-byte memory cap",
            fuel,
        )
    return WorkerTrap(f"the worker trapped: {_trap_reason(exc)}", fuel)


def _classify_error(
    exc: wasmtime.WasmtimeError, store: wasmtime.Store, limits: Limits
) -> SandboxError:
    reason = _first_cause(exc)
    if "exceeds memory limits" in reason:
        return OutOfMemory(f"out of memory: {reason}", _fuel_used(store, limits))
    return InvalidModule(f"cannot instantiate the worker: {reason}", _fuel_used(store, limits))


def _trap_reason(exc: wasmtime.Trap) -> str:
    if exc.trap_code is not None:
        return exc.trap_code.name.lower().replace("_", " ")
    return _first_cause(exc)


def _first_cause(exc: Exception) -> str:
    """wasmtime messages carry backtraces and cause chains; keep the last cause's line."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    causes = [line.split(":", 1)[1].strip() for line in lines if line[:1].isdigit() and ":" in line]
    return causes[-1] if causes else (lines[0] if lines else type(exc).__name__)


def _log_func(store: wasmtime.Store, logs: list[str]) -> wasmtime.Func:
    params, results = abi.HOST_FUNCTIONS["memjit.log"]

    def write_log(caller: wasmtime.Caller, ptr: int, length: int) -> None:
        if len(logs) >= _LOG_LINES:
            return
        memory = caller.get(abi.MEMORY)
        if not isinstance(memory, wasmtime.Memory):
            return
        end = min(ptr + min(length, _LOG_LINE_BYTES), memory.data_len(caller))
        if 0 <= ptr < end:
            logs.append(bytes(memory.read(caller, ptr, end)).decode("utf-8", "replace"))

    return wasmtime.Func(store, wasmtime.FuncType(params, results), write_log, access_caller=True)


#: How each host function of :data:`abi.HOST_FUNCTIONS` is made for one run's store.
_HOST_FACTORIES: dict[str, Callable[[wasmtime.Store, list[str]], wasmtime.Func]] = {
    "memjit.log": _log_func,
}


def _host_imports(store: wasmtime.Store, module: wasmtime.Module, logs: list[str]) -> list[Any]:
    """Host functions for the module's (already allow-listed) imports, bound to ``store``."""
    return [_HOST_FACTORIES[f"{item.module}.{item.name}"](store, logs) for item in module.imports]
