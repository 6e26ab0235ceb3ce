"""The one wasmtime engine configuration every MemJit node uses, and its epoch clock.

Workers must give the same output and burn the same fuel on every node, so the configuration
is fixed here, not left to callers: fuel metering, epoch interruption for wall-clock
deadlines, canonical NaNs, deterministic relaxed SIMD, and no threads or shared memory.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import math
import threading

import wasmtime

#: How often the epoch clock ticks; deadlines are rounded up to whole ticks.
EPOCH_TICK_S = 0.005

#: Config flags that affect compiled code; part of the disk-cache key.
_FLAGS: dict[str, bool] = {
    "consume_fuel": True,
    "epoch_interruption": True,
    "cranelift_nan_canonicalization": True,
    "wasm_relaxed_simd_deterministic": True,
    "wasm_threads": False,
    "shared_memory": False,
    "wasm_memory64": False,
}


def wasmtime_version() -> str:
    return importlib.metadata.version("wasmtime")


def engine_fingerprint() -> str:
    """Identifies the compiled-code format: wasmtime version + the flags above. A module
    serialized under one fingerprint only loads into an engine with the same one."""
    text = wasmtime_version() + ";" + ";".join(f"{k}={v}" for k, v in sorted(_FLAGS.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def new_engine() -> wasmtime.Engine:
    config = wasmtime.Config()
    for name, value in _FLAGS.items():
        setattr(config, name, value)
    return wasmtime.Engine(config)


class EpochClock:
    """A daemon thread that advances an engine's epoch every :data:`EPOCH_TICK_S`.

    One clock serves every store of the engine: a run's deadline is a number of ticks from
    the epoch at its start (``Store.set_epoch_deadline``), so no thread is made per run.

    The thread holds the engine strongly, and whoever owns the clock stops it
    (:class:`~protocol.sandbox.vm.DarwinVM` does on ``close`` and when it is collected).
    A weak reference is not safe here: wasmtime-py frees the engine in ``__del__``, which
    CPython runs *before* it clears the object's weak references, and the C call that frees
    it releases the GIL, so a tick could fetch the engine through its weak reference and
    increment a freed one (a segmentation fault, seen once in a long test run).
    """

    def __init__(self, engine: wasmtime.Engine, tick_s: float = EPOCH_TICK_S) -> None:
        self.tick_s = tick_s
        self._engine = engine
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._tick, name="memjit-epoch", daemon=True)
        self._thread.start()

    def ticks_for(self, deadline_s: float) -> int:
        """Ticks to allow for ``deadline_s``: rounded up, plus one for the partial tick the
        run starts in."""
        return max(1, math.ceil(round(deadline_s / self.tick_s, 6))) + 1

    def _tick(self) -> None:
        while not self._stop.wait(self.tick_s):
            self._engine.increment_epoch()

    def stop(self) -> None:
        """Stops the clock and waits for its thread: a thread still inside
        ``increment_epoch`` while the engine is freed, or the interpreter exits, can crash
        it."""
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=1.0)
