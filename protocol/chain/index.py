"""The registry's workers, kept up to date from its events.

A request needs the active workers of one capability. Reading them from the contract costs
one call per worker (:meth:`Registry.capability_workers`): at 10,000 workers that is 10,000
round trips before every round. :class:`WorkerIndex` reads the registry's event log instead:
the whole history once, when a node starts (the catch-up), then at each request only the
blocks mined since its last sync. A request's chain reads are then bounded by the blocks that
passed, not by the workers registered: one call for the chain's head, and one
``eth_getLogs`` per :data:`~protocol.chain.events.LOG_CHUNK_BLOCKS` new blocks.

Each event sets the fields it carries, so a worker here equals
:meth:`Registry.worker` field for field, but for ``last_used``: events carry no block time,
and reading one block per event would make the catch-up cost a call per block again. It is
0 here; :meth:`Registry.worker` has it for the one worker that needs it.

The index trusts the blocks it has read: a reorganisation of blocks it already synced would
leave it stale. A devnet never reorganises; elsewhere, build a new index after one.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from protocol.chain.contracts import MemJitContracts
from protocol.chain.events import (
    ChainEvent,
    ScoreRecorded,
    StakeAdded,
    StakeWithdrawn,
    WorkerExited,
    WorkerRegistered,
    WorkerSlashed,
    WorkerTerminated,
)
from protocol.chain.transactions import latest_block
from protocol.chain.types import WorkerInfo, WorkerStatus
from protocol.errors import ChainError

log = logging.getLogger(__name__)

#: The contract whose events the index reads.
REGISTRY = "WorkerRegistry"

#: The events that change a registered worker.
_WorkerEvent = (
    ScoreRecorded | StakeAdded | WorkerSlashed | WorkerExited | WorkerTerminated | StakeWithdrawn
)


class WorkerIndex:
    """Every worker of one deployment's registry, from its events; :meth:`sync` reads the
    blocks mined since the last call. Not thread-safe: one index per engine."""

    def __init__(self, contracts: MemJitContracts) -> None:
        self._contracts = contracts
        self._synced_block = contracts.deployment.block_number - 1
        self._workers: dict[bytes, WorkerInfo] = {}
        # Per capability, its active workers' ids in registration (serial) order: events
        # arrive in that order and a dict keeps it when one leaves.
        self._active: dict[str, dict[bytes, None]] = {}
        self._terminated: dict[str, set[bytes]] = {}

    @property
    def synced_block(self) -> int:
        """The last block applied (the block before the deployment until the first sync)."""
        return self._synced_block

    def sync(self) -> None:
        """Applies the registry's events from the block after :attr:`synced_block` to the
        chain's head, in order."""
        head = latest_block(self._contracts.chain).number
        if head <= self._synced_block:
            return
        scan = self._contracts.event_log.scan(self._synced_block + 1, head, [REGISTRY])
        applied = 0
        for last_block, events in scan:
            for event in events:
                self._apply(event)
            applied += len(events)
            self._synced_block = last_block
        log.debug("worker index: %d events, synced to block %d", applied, head)

    def active(self, capability: str) -> list[WorkerInfo]:
        """The active workers of ``capability``, in registration order, as of the last sync."""
        return [self._workers[wid] for wid in self._active.get(capability, {})]

    def terminated(self, capability: str) -> frozenset[bytes]:
        """The ids of the workers of ``capability`` the oracle has terminated."""
        return frozenset(self._terminated.get(capability, ()))

    def worker(self, wid: bytes) -> WorkerInfo | None:
        """Worker ``wid`` whatever its status (None if it is not registered as of the last
        sync)."""
        return self._workers.get(wid)

    def __len__(self) -> int:
        """Workers ever registered, as of the last sync."""
        return len(self._workers)

    def _apply(self, event: ChainEvent) -> None:
        if isinstance(event, WorkerRegistered):
            self._workers[event.id] = WorkerInfo(
                id=event.id,
                owner=event.owner,
                status=WorkerStatus.ACTIVE,
                last_score=0,
                usefulness=0,
                last_used=0,
                rounds_scored=0,
                stake=event.stake,
                unbonds_at=0,
                serial=event.serial,
                strikes=0,
                capability=event.capability,
                cid=event.cid,
            )
            self._active.setdefault(event.capability, {})[event.id] = None
        elif isinstance(event, ScoreRecorded):
            self._store(
                replace(
                    self._lookup(event),
                    last_score=event.score,
                    usefulness=event.usefulness,
                    rounds_scored=event.rounds_scored,
                    strikes=event.strikes,
                )
            )
        elif isinstance(event, StakeAdded):
            self._store(replace(self._lookup(event), stake=event.new_stake))
        elif isinstance(event, WorkerSlashed):
            info = self._lookup(event)
            self._store(replace(info, stake=info.stake - event.amount))
        elif isinstance(event, WorkerExited | WorkerTerminated):
            terminated = isinstance(event, WorkerTerminated)
            status = WorkerStatus.TERMINATED if terminated else WorkerStatus.EXITING
            info = replace(self._lookup(event), status=status, unbonds_at=event.unbonds_at)
            self._store(info)
            self._active[info.capability].pop(info.id, None)
            if terminated:
                self._terminated.setdefault(info.capability, set()).add(info.id)
        elif isinstance(event, StakeWithdrawn):
            info = replace(self._lookup(event), status=WorkerStatus.WITHDRAWN, stake=0)
            self._store(info)
        # MinStakeChanged, OracleSet, OwnershipTransferred: nothing about a worker.

    def _store(self, info: WorkerInfo) -> None:
        self._workers[info.id] = info

    def _lookup(self, event: _WorkerEvent) -> WorkerInfo:
        info = self._workers.get(event.id)
        if info is None:
            raise ChainError(
                f"{type(event).__name__} in block {event.block_number} names worker "
                f"0x{event.id.hex()}, whose registration the index never read: was it built "
                "for another deployment?"
            )
        return info
