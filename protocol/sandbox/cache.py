"""Compiled modules by CID: an in-memory LRU bounded in bytes, over a disk cache.

The disk cache holds wasmtime's serialized code under a folder named by the engine
fingerprint (wasmtime version + configuration), so a restart loads modules in ~0.1 ms instead
of compiling them, and a node with another wasmtime never loads foreign code. Each file
starts with the SHA-256 of the rest: a torn or corrupted file is deleted and recompiled,
never handed to wasmtime (deserializing trusts its input).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import wasmtime

from oracle.files import write_atomic
from protocol.sandbox.usage import ModuleUsage, UsageBook
from protocol.sandbox.vm import DarwinVM
from protocol.sandbox.wasm_engine import engine_fingerprint
from protocol.settings import DEFAULT_CACHE_MEMORY_BYTES

log = logging.getLogger(__name__)

_SUFFIX = ".cwasm"
_DIGEST_BYTES = 32


@dataclass(frozen=True)
class CacheStats:
    memory_entries: int
    memory_bytes: int
    memory_budget_bytes: int
    disk_entries: int
    disk_bytes: int


class ModuleCache:
    """Compiled modules for one :class:`DarwinVM`'s engine. ``directory=None`` keeps them
    in memory only. Thread-safe. CIDs given to it must be validated ones (they name files)."""

    def __init__(
        self,
        vm: DarwinVM,
        directory: Path | None,
        memory_budget_bytes: int = DEFAULT_CACHE_MEMORY_BYTES,
    ) -> None:
        self.vm = vm
        self.memory_budget_bytes = memory_budget_bytes
        self.disk_dir = None if directory is None else directory / engine_fingerprint()
        self.usage = UsageBook(None if directory is None else directory / "usage.sqlite")
        self._lock = threading.Lock()
        self._memory: OrderedDict[str, tuple[wasmtime.Module, int]] = OrderedDict()
        self._memory_bytes = 0

    # -- lookups ---------------------------------------------------------------------------

    def get(self, cid: str) -> wasmtime.Module | None:
        """The compiled module for ``cid`` from memory or disk, or None."""
        with self._lock:
            found = self._memory.get(cid)
            if found is not None:
                self._memory.move_to_end(cid)
        if found is not None:
            self.usage.record_hit(cid, found[1])
            return found[0]
        loaded = self._load_from_disk(cid)
        if loaded is None:
            return None
        module, size = loaded
        self._remember(cid, module, size)
        self.usage.record_hit(cid, size)
        return module

    def compile(self, cid: str, wasm: bytes) -> wasmtime.Module:
        """Compile ``wasm`` (already verified to be ``cid``'s content), check it against the
        ABI, and cache it in memory and on disk."""
        module = self.vm.compile(wasm)
        code = bytes(module.serialize())
        self._save_to_disk(cid, code)
        self._remember(cid, module, len(code))
        self.usage.record_compile(cid, len(code))
        return module

    def get_or_compile(self, cid: str, wasm: bytes) -> wasmtime.Module:
        module = self.get(cid)
        return module if module is not None else self.compile(cid, wasm)

    # -- eviction --------------------------------------------------------------------------

    def evict(self, *cids: str) -> None:
        """Drop ``cids`` from memory and disk (their statistics go too)."""
        with self._lock:
            for cid in cids:
                found = self._memory.pop(cid, None)
                if found is not None:
                    self._memory_bytes -= found[1]
        if self.disk_dir is not None:
            for cid in cids:
                (self.disk_dir / f"{cid}{_SUFFIX}").unlink(missing_ok=True)
        self.usage.forget(cids)

    def purge_low_utility(
        self,
        min_utility: float = 0.1,
        now: float | None = None,
        among: Collection[str] | None = None,
        min_idle_s: float = 0.0,
    ) -> list[str]:
        """Evict every cached module whose :meth:`ModuleUsage.utility` is below
        ``min_utility``; returns the CIDs evicted. The default, 0.1, drops modules that never
        ran successfully and, say, one that ran once more than nine days ago. ``among``
        limits the purge to those CIDs; ``min_idle_s`` spares modules used more recently
        (a module that just arrived has had no chance to run yet)."""
        now = time.time() if now is None else now
        usage = {u.cid: u for u in self.usage.all()}
        purged = []
        for cid in self.cached_cids():
            if among is not None and cid not in among:
                continue
            record = usage.get(cid, ModuleUsage(cid))
            if record.utility(now) < min_utility and now - record.last_used >= min_idle_s:
                purged.append(cid)
        self.evict(*purged)
        return purged

    def clear(self) -> list[str]:
        """Evict everything; returns the CIDs evicted."""
        cids = self.cached_cids()
        self.evict(*cids)
        return cids

    def cached_cids(self) -> list[str]:
        with self._lock:
            cids = set(self._memory)
        cids.update(path.stem for path in self._disk_files())
        return sorted(cids)

    def stats(self) -> CacheStats:
        disk = self._disk_files()
        with self._lock:
            return CacheStats(
                memory_entries=len(self._memory),
                memory_bytes=self._memory_bytes,
                memory_budget_bytes=self.memory_budget_bytes,
                disk_entries=len(disk),
                disk_bytes=sum(path.stat().st_size for path in disk),
            )

    def close(self) -> None:
        self.usage.flush()

    # -- internals -------------------------------------------------------------------------

    def _disk_files(self) -> list[Path]:
        if self.disk_dir is None or not self.disk_dir.is_dir():
            return []
        return list(self.disk_dir.glob(f"*{_SUFFIX}"))

    def _remember(self, cid: str, module: wasmtime.Module, size: int) -> None:
        if size > self.memory_budget_bytes:
            return
        with self._lock:
            old = self._memory.pop(cid, None)
            if old is not None:
                self._memory_bytes -= old[1]
            self._memory[cid] = (module, size)
            self._memory_bytes += size
            while self._memory_bytes > self.memory_budget_bytes:
                evicted, (_, evicted_size) = self._memory.popitem(last=False)
                self._memory_bytes -= evicted_size
                log.debug("evicted %s (%d bytes) from memory", evicted, evicted_size)

    def _save_to_disk(self, cid: str, code: bytes) -> None:
        if self.disk_dir is None:
            return
        try:
            write_atomic(self.disk_dir / f"{cid}{_SUFFIX}", hashlib.sha256(code).digest() + code)
        except OSError as exc:
            log.warning("cannot write the disk cache for %s: %s", cid, exc)

    def _load_from_disk(self, cid: str) -> tuple[wasmtime.Module, int] | None:
        if self.disk_dir is None:
            return None
        path = self.disk_dir / f"{cid}{_SUFFIX}"
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            return None
        code = blob[_DIGEST_BYTES:]
        if hashlib.sha256(code).digest() != blob[:_DIGEST_BYTES]:
            log.warning("discarding corrupted cache file %s", path)
            path.unlink(missing_ok=True)
            return None
        try:
            module = wasmtime.Module.deserialize(self.vm.engine, code)
            self.vm.check(module)
        except Exception as exc:  # incompatible host, or a module the node now refuses
            log.warning("discarding unusable cache file %s: %s", path, exc)
            path.unlink(missing_ok=True)
            return None
        return module, len(code)
