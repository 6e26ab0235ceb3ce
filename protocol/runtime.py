"""The worker runtime a node runs: content store → verified bytes → cached compiled module →
sandboxed run, with usage recorded for the cache's purge decisions."""

from __future__ import annotations

from dataclasses import dataclass

import wasmtime

from protocol.cid import cid_for, parse_cid
from protocol.errors import SandboxError
from protocol.sandbox import DarwinVM, Limits, ModuleCache, RunResult
from protocol.settings import Settings
from protocol.store import ContentStore, open_store
from protocol.workers.build import SourceKind, build_source


@dataclass(frozen=True)
class LoadedWorker:
    cid: str
    module: wasmtime.Module


class WorkerRuntime:
    """Fetch, compile (once), and run workers by CID."""

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

    def run(self, worker: LoadedWorker, data: bytes, limits: Limits | None = None) -> RunResult:
        """Run ``worker`` on ``data`` and record the outcome; sandbox errors propagate."""
        try:
            result = self.vm.run(worker.module, data, limits)
        except SandboxError as exc:
            self.cache.usage.record_run(worker.cid, exc.fuel_used, failed=True)
            raise
        self.cache.usage.record_run(worker.cid, result.fuel_used, failed=False)
        return result

    def close(self) -> None:
        self.cache.close()
        self.vm.close()

    def __enter__(self) -> WorkerRuntime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
