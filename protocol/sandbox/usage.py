"""Per-module usage statistics: what the cache keeps, evicts and purges by.

Counters accumulate in memory (a run must not wait on a disk write) and :meth:`UsageBook.flush`
adds them to a SQLite file, so several processes sharing a cache folder (CLI calls, Celery
workers) add up instead of overwriting each other.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS modules (
    cid TEXT PRIMARY KEY,
    size_bytes INTEGER NOT NULL DEFAULT 0,
    compiles INTEGER NOT NULL DEFAULT 0,
    hits INTEGER NOT NULL DEFAULT 0,
    runs INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    fuel INTEGER NOT NULL DEFAULT 0,
    last_used REAL NOT NULL DEFAULT 0
)
"""
_COUNTERS = ("compiles", "hits", "runs", "failures", "fuel")


@dataclass
class ModuleUsage:
    """What one module has cost and earned on this node."""

    cid: str
    size_bytes: int = 0
    compiles: int = 0
    #: Loads served from the memory or disk cache instead of a compile.
    hits: int = 0
    runs: int = 0
    failures: int = 0
    fuel: int = 0
    #: Unix time of the last load or run.
    last_used: float = 0.0

    @property
    def successes(self) -> int:
        return self.runs - self.failures

    def utility(self, now: float) -> float:
        """Successful runs, discounted by failures and by idleness the way the protocol
        discounts rewards: ``successes / (1 + failures) / (1 + idle hours / 24)``."""
        idle_h = max(0.0, now - self.last_used) / 3600
        return self.successes / (1 + self.failures) / (1 + idle_h / 24)


class UsageBook:
    """Usage counters by CID; in memory only when ``path`` is None."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._pending: dict[str, ModuleUsage] = {}
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as db:
                db.execute(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection that commits on success and is always closed."""
        assert self.path is not None
        db = sqlite3.connect(self.path, timeout=10)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            with db:
                yield db
        finally:
            db.close()

    def _entry(self, cid: str) -> ModuleUsage:
        entry = self._pending.get(cid)
        if entry is None:
            entry = self._pending[cid] = ModuleUsage(cid)
        entry.last_used = time.time()
        return entry

    def record_compile(self, cid: str, size_bytes: int) -> None:
        with self._lock:
            entry = self._entry(cid)
            entry.compiles += 1
            entry.size_bytes = size_bytes

    def record_hit(self, cid: str, size_bytes: int) -> None:
        with self._lock:
            entry = self._entry(cid)
            entry.hits += 1
            entry.size_bytes = size_bytes

    def record_run(self, cid: str, fuel: int, failed: bool) -> None:
        with self._lock:
            entry = self._entry(cid)
            entry.runs += 1
            entry.failures += int(failed)
            entry.fuel += fuel

    def flush(self) -> None:
        """Add pending counters to the file (a no-op for an in-memory book)."""
        if self.path is None:
            return
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return
        with self._connect() as db:
            db.executemany(
                "INSERT INTO modules (cid, size_bytes, compiles, hits, runs, failures, fuel,"
                " last_used) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(cid) DO UPDATE SET"
                " size_bytes = MAX(size_bytes, excluded.size_bytes),"
                + ",".join(f" {c} = {c} + excluded.{c}" for c in _COUNTERS)
                + ", last_used = MAX(last_used, excluded.last_used)",
                [
                    (
                        u.cid,
                        u.size_bytes,
                        u.compiles,
                        u.hits,
                        u.runs,
                        u.failures,
                        u.fuel,
                        u.last_used,
                    )
                    for u in pending.values()
                ],
            )

    def all(self) -> list[ModuleUsage]:
        """Every module's totals (file plus pending), most recently used first."""
        totals: dict[str, ModuleUsage] = {}
        if self.path is not None:
            names = ", ".join(f.name for f in fields(ModuleUsage))
            with self._connect() as db:
                for row in db.execute(f"SELECT {names} FROM modules"):
                    totals[row[0]] = ModuleUsage(*row)
        with self._lock:
            for cid, extra in self._pending.items():
                base = totals.setdefault(cid, ModuleUsage(cid))
                base.size_bytes = max(base.size_bytes, extra.size_bytes)
                for name in _COUNTERS:
                    setattr(base, name, getattr(base, name) + getattr(extra, name))
                base.last_used = max(base.last_used, extra.last_used)
        return sorted(totals.values(), key=lambda u: u.last_used, reverse=True)

    def forget(self, cids: Iterable[str]) -> None:
        cids = list(cids)
        with self._lock:
            for cid in cids:
                self._pending.pop(cid, None)
        if self.path is not None and cids:
            with self._connect() as db:
                db.executemany("DELETE FROM modules WHERE cid = ?", [(c,) for c in cids])
