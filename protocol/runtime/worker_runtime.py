"""The worker runtime a node runs: content store → verified bytes → cached compiled module →
sandboxed run, with usage recorded for the cache's purge decisions.

:meth:`WorkerRuntime.attempt` is the one path by which a worker is run and scored: its own
failures (a module the sandbox refuses, a run that traps, loops or overflows) come back as the
:class:`Execution`'s failure kind, scored zero, never as an exception. A round's runs
(:meth:`WorkerRuntime.execute`, in this process or in a pool process), ``memjit worker eval``
and ``memjit oracle prove`` all take it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import wasmtime

from protocol.cid import cid_for, parse_cid
from protocol.errors import BadCid, ConfigError, SandboxError, StoreError, WorkerUnavailable
from protocol.sandbox import DarwinVM, Limits, ModuleCache, RunResult
from protocol.settings import Settings
from protocol.store import ContentStore, open_store
from protocol.toolchain import SourceKind, build_file, build_source

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedWorker:
    cid: str
    module: wasmtime.Module


@dataclass(frozen=True)
class Execution:
    """One worker run on one batch, and what came of it."""

    cid: str
    #: The worker's output, or None when it failed.
    output: bytes | None
    #: The failure kind (``out-of-fuel``, ``unavailable``, ...), or None for a clean run.
    failure: str | None
    fuel_used: int
    #: Seconds of the run itself (fetching and compiling excluded).
    elapsed_s: float
    #: Where it ran: ``local``, or the pool worker's name.
    host: str = "local"


class WorkerRuntime:
    """Fetch, compile (once), and run workers."""

    def __init__(self, store: ContentStore, vm: DarwinVM, cache: ModuleCache) -> None:
        self.store = store
        self.vm = vm
        self.cache = cache

    @classmethod
    def from_settings(cls, settings: Settings, store: ContentStore | None = None) -> WorkerRuntime:
        """The runtime the settings describe; ``store`` replaces the configured store."""
        vm = DarwinVM(Limits.from_settings(settings))
        cache = ModuleCache(vm, settings.cache_dir, settings.cache_memory_bytes)
        return cls(store or open_store(settings), vm, cache)

    # -- loading -------------------------------------------------------------------------

    def fetch_module(self, cid: str) -> LoadedWorker:
        """The compiled worker for ``cid``: from the cache, or fetched from the store (checked
        against the CID) and compiled."""
        cid = str(parse_cid(cid))
        module = self.cache.get(cid)
        if module is None:
            module = self.cache.compile(cid, self.store.get(cid))
        return LoadedWorker(cid, module)

    def load(self, wasm: bytes) -> LoadedWorker:
        """A worker given as bytes (not published): compiled or taken from the cache."""
        cid = cid_for(wasm, self.store.hash_function)
        return LoadedWorker(cid, self.cache.get_or_compile(cid, wasm))

    def resolve(self, target: str) -> LoadedWorker:
        """A worker a user names: a source or module file (built and compiled), or a CID
        (fetched from the store and verified). Never for a CID read from the chain, which
        anyone chooses: only :meth:`fetch_module` reads those."""
        path = Path(target)
        if path.is_file():
            return self.load(build_file(path))
        try:
            parse_cid(target)
        except BadCid as exc:
            if path.suffix or "/" in target:
                raise ConfigError(f"no such file: {target}") from exc
            raise
        return self.fetch_module(target)

    # -- publishing ----------------------------------------------------------------------

    def publish(self, wasm: bytes) -> str:
        """Check ``wasm`` against the ABI, store it, cache its compiled form; its CID."""
        cid = cid_for(wasm, self.store.hash_function)
        self.cache.get_or_compile(cid, wasm)
        stored = self.store.put(wasm)
        assert stored == cid
        return cid

    def publish_source(self, source: bytes, kind: SourceKind) -> str:
        """Compile on demand: build ``source`` (WAT, C, or dense weights), publish the module,
        return its CID."""
        return self.publish(build_source(source, kind))

    # -- running -------------------------------------------------------------------------

    def run(self, worker: LoadedWorker, data: bytes, limits: Limits | None = None) -> RunResult:
        """Run ``worker`` on ``data`` and record the outcome; sandbox errors propagate."""
        try:
            result = self.vm.run(worker.module, data, limits)
        except SandboxError as exc:
            self.cache.usage.record_run(worker.cid, exc.fuel_used, failed=True)
            raise
        self.cache.usage.record_run(worker.cid, result.fuel_used, failed=False)
        return result

    def attempt(
        self,
        load: Callable[[], LoadedWorker],
        data: bytes,
        limits: Limits | None = None,
        cid: str = "",
    ) -> Execution:
        """Load a worker and run it on ``data``: a failure scores zero. What the sandbox
        refuses or stops (:class:`~protocol.errors.SandboxError`, at load or in the run) is
        the worker's failure, returned with its kind; anything else ``load`` raises (a file
        that does not build, a store that cannot be reached) is the caller's and propagates.
        ``cid`` names a worker that never loaded."""
        try:
            worker = load()
        except SandboxError as exc:
            return Execution(cid, None, exc.kind, 0, 0.0)
        try:
            result = self.run(worker, data, limits)
        except SandboxError as exc:
            return Execution(worker.cid, None, exc.kind, exc.fuel_used, 0.0)
        return Execution(worker.cid, result.output, None, result.fuel_used, result.elapsed_s)

    def execute(self, cid: str, data: bytes, limits: Limits | None = None) -> Execution:
        """A registered worker's run in a round: fetched by its on-chain CID (verified),
        compiled or taken from the cache, and run. A module that cannot be fetched or
        compiled is ``unavailable``: like any failure of the worker's, it scores zero."""

        def fetch() -> LoadedWorker:
            try:
                return self.fetch_module(cid)
            except (StoreError, SandboxError) as exc:
                log.info("worker %s unavailable: %s", cid, exc)
                raise WorkerUnavailable(f"worker {cid} unavailable: {exc}") from exc

        # The on-chain CID as written, though the module is looked up by its canonical form.
        return replace(self.attempt(fetch, data, limits, cid=cid), cid=cid)

    def close(self) -> None:
        self.cache.close()
        self.vm.close()

    def __enter__(self) -> WorkerRuntime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
