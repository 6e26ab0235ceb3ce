"""The modules a node keeps for the swarm, and which of them to drop.

A node holds two kinds of blocks. Its own — in the store when the node started, or published
through it — are never evicted: they are the operator's. The rest came from the swarm: seeded
to the node by a peer, or fetched for a round. Those sit on the shelf, least recently used
first, at most ``capacity`` of them; adding one more evicts the oldest. The node also drops
the ones its module cache purges as low-utility (:meth:`ModuleCache.purge_low_utility`).

The shelf is saved (atomically) next to the store, so a restart still knows which blocks are
the swarm's and which are the operator's.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

from oracle.files import write_atomic

log = logging.getLogger(__name__)

#: Modules kept for the swarm: 64 modules of the 256 KiB block limit is 16 MiB at most.
DEFAULT_CAPACITY = 64


class Shelf:
    def __init__(self, path: Path | None = None, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError(f"a shelf holds at least one module, not {capacity}")
        self.path = path
        self.capacity = capacity
        self._order: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()  # the swarm's loop and the engine's threads share it
        if path is not None:
            self._load(path)

    def __contains__(self, cid: object) -> bool:
        return cid in self._order

    def __len__(self) -> int:
        return len(self._order)

    def cids(self) -> list[str]:
        """Least recently used first."""
        with self._lock:
            return list(self._order)

    def use(self, cid: str) -> None:
        """``cid`` was served or run: it moves to the back of the eviction queue."""
        with self._lock:
            if cid not in self._order:
                return
            self._order.move_to_end(cid)
            self._save()

    def add(self, cid: str) -> list[str]:
        """Put ``cid`` on the shelf; returns the CIDs evicted to make room (oldest first)."""
        with self._lock:
            self._order[cid] = None
            self._order.move_to_end(cid)
            evicted = []
            while len(self._order) > self.capacity:
                oldest, _ = self._order.popitem(last=False)
                evicted.append(oldest)
            self._save()
        return evicted

    def discard(self, cids: Iterable[str]) -> list[str]:
        """Take ``cids`` off the shelf; returns those that were on it (the node's own
        modules never are, so they are never dropped this way)."""
        with self._lock:
            dropped = [cid for cid in cids if self._order.pop(cid, 0) is None]
            if dropped:
                self._save()
        return dropped

    def _save(self) -> None:
        """Called with the lock held: a small file (64 CIDs), rewritten whole."""
        if self.path is None:
            return
        try:
            write_atomic(self.path, json.dumps(list(self._order)).encode())
        except OSError as exc:
            log.warning("cannot save the swarm shelf %s: %s", self.path, exc)

    def _load(self, path: Path) -> None:
        try:
            saved = json.loads(path.read_bytes())
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            # Unknown provenance: keep every block (treating them as the operator's) rather
            # than risk deleting the operator's own.
            log.warning("ignoring the unreadable swarm shelf %s: %s", path, exc)
            return
        if isinstance(saved, list):
            self._order.update((str(cid), None) for cid in saved)
