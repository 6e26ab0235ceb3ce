"""What the dashboard shows, read from the chain: the contracts' views for the present state
(workers, stakes, supply, population statistics, parameters) and their events for the history
(who registered when and for which capability, rewards and slashes per worker, rounds and
their transactions, terminations).

Which workers a round explored is decided from the events alone, as the engine decides it: a
worker is an exploration pick if it was learning (:func:`~protocol.engine.selection.is_learning`)
when the round opened. Its scored rounds and strikes then are those of its latest
``ScoreRecorded`` before the ``RoundOpened`` (none: a newcomer, 0 and 0); the scan reads events
in chain order, so the ledger notes them as the round opens.

Events are scanned once and then incrementally, from the deployment block to the newest block;
a dashboard is rebuilt only when a new block arrived. A worker is read again only when an event
of the new blocks names it: every change of a worker's record emits one (registered, stake
added, exited, withdrawn, slashed, terminated, score recorded), so a new block costs a handful
of calls however many workers there are. Reorganisations are not handled: devnets have none,
and on a real chain history read from a replaced block stays until the server restarts.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from web3 import Web3

from protocol.chain import BlockHeader, MemJitContracts, RoundStatus, WorkerInfo, latest_block
from protocol.chain.events import (
    ChainEvent,
    RewardMinted,
    RoundAbandoned,
    RoundClosed,
    RoundOpened,
    ScoreRecorded,
    StakeAdded,
    StakeWithdrawn,
    WorkerEliminated,
    WorkerExited,
    WorkerRegistered,
    WorkerSlashed,
    WorkerTerminated,
)
from protocol.chain.types import Termination
from protocol.engine.selection import is_learning
from protocol.web.model import (
    Account,
    Dashboard,
    Params,
    Population,
    RoundSeat,
    RoundSummary,
    Supply,
    WorkerStanding,
    WorkerTermination,
)

#: Rounds the dashboard lists, newest first.
RECENT_ROUNDS = 20
#: The contracts whose events make the history.
HISTORY_CONTRACTS = ("WorkerRegistry", "UtilityOracle")


class Progress(NamedTuple):
    """A worker's scored rounds and strikes, as its latest ``ScoreRecorded`` gives them."""

    rounds_scored: int = 0
    strikes: int = 0


@dataclass
class RoundHistory:
    """One round as its events tell it."""

    opened: RoundOpened
    #: Each worker's progress when the round opened: whether it was learning.
    before: dict[bytes, Progress]
    status: RoundStatus = RoundStatus.OPEN
    close_tx: str | None = None
    #: Read from the round's view the first time it is shown.
    opened_at: int | None = None
    scores: tuple[int, ...] | None = None
    rewards: dict[bytes, int] = field(default_factory=dict)
    eliminated: dict[bytes, Termination] = field(default_factory=dict)

    def explored(self, worker: WorkerInfo) -> bool:
        """Whether the round picked ``worker`` to explore: it was learning when it opened."""
        before = self.before[worker.id]
        then = replace(worker, rounds_scored=before.rounds_scored, strikes=before.strikes)
        return is_learning(then)


@dataclass
class Ledger:
    """The history read from events so far (up to and including block ``scanned_to``)."""

    scanned_to: int
    registered: dict[bytes, str] = field(default_factory=dict)  # id → registering tx
    capabilities: dict[bytes, str] = field(default_factory=dict)  # id → capability
    progress: dict[bytes, Progress] = field(default_factory=dict)
    #: Id → its termination, in the order they happened.
    terminations: dict[bytes, WorkerEliminated] = field(default_factory=dict)
    rewards: dict[bytes, int] = field(default_factory=lambda: defaultdict(int))
    slashed: dict[bytes, int] = field(default_factory=lambda: defaultdict(int))
    slashes_by_tx: dict[str, list[WorkerSlashed]] = field(default_factory=lambda: defaultdict(list))
    rounds: dict[int, RoundHistory] = field(default_factory=dict)
    #: Workers an event named since they were last read.
    stale: set[bytes] = field(default_factory=set)

    def apply(self, event: ChainEvent) -> None:
        match event:
            case WorkerRegistered():
                self.registered[event.id] = event.tx_hash
                self.capabilities[event.id] = event.capability
                self.stale.add(event.id)
            case ScoreRecorded():
                self.progress[event.id] = Progress(event.rounds_scored, event.strikes)
                self.stale.add(event.id)
            case WorkerSlashed():
                self.slashed[event.id] += event.amount
                self.slashes_by_tx[event.tx_hash].append(event)
                self.stale.add(event.id)
            case StakeAdded() | WorkerExited() | StakeWithdrawn() | WorkerTerminated():
                self.stale.add(event.id)
            case RoundOpened():
                before = {wid: self.progress.get(wid, Progress()) for wid in event.worker_ids}
                self.rounds[event.round_id] = RoundHistory(event, before)
            case RoundClosed():
                if (history := self.rounds.get(event.round_id)) is not None:
                    history.status = RoundStatus.CLOSED
                    history.close_tx = event.tx_hash
                    history.scores = event.scores
            case RoundAbandoned():
                if (history := self.rounds.get(event.round_id)) is not None:
                    history.status = RoundStatus.ABANDONED
                    history.close_tx = event.tx_hash
            case RewardMinted():
                self.rewards[event.worker_id] += event.amount
                if (history := self.rounds.get(event.round_id)) is not None:
                    history.rewards[event.worker_id] = (
                        history.rewards.get(event.worker_id, 0) + event.amount
                    )
            case WorkerEliminated():
                self.terminations[event.worker_id] = event
                if (history := self.rounds.get(event.round_id)) is not None:
                    history.eliminated[event.worker_id] = event.reason


class ChainView:
    """The dashboard's data for one deployment. Thread-safe: the HTTP server's threads share
    one view, and one lock keeps the event scan and the cached dashboard consistent."""

    def __init__(self, mj: MemJitContracts) -> None:
        self.mj = mj
        self._lock = threading.Lock()
        self._ledger = Ledger(scanned_to=mj.deployment.block_number - 1)
        self._cached: Dashboard | None = None
        self._workers: dict[bytes, WorkerInfo] = {}

    # -- public ---------------------------------------------------------------------------

    def dashboard(self) -> Dashboard:
        """Supply, parameters, populations, leaderboard, recent rounds and terminations at the
        newest block."""
        with self._lock:
            block = latest_block(self.mj.chain)
            if self._cached is not None and self._cached.block.number == block.number:
                return self._cached
            self._scan(block.number)
            self._cached = self._build(block)
            return self._cached

    def account(self, address: str) -> Account:
        """An account's SWT balance and the workers it registered."""
        owner = Web3.to_checksum_address(address)
        with self._lock:
            self._scan(latest_block(self.mj.chain).number)
            mine = tuple(w for w in self._standings() if w.info.owner == owner)
            return Account(owner, self.mj.token.balance_of(owner), mine)

    # -- history --------------------------------------------------------------------------

    def _scan(self, latest: int) -> None:
        ledger = self._ledger
        scan = self.mj.event_log.scan(ledger.scanned_to + 1, latest, HISTORY_CONTRACTS)
        for scanned_to, events in scan:
            for event in events:
                ledger.apply(event)
            ledger.scanned_to = scanned_to

    # -- views ----------------------------------------------------------------------------

    def _build(self, block: BlockHeader) -> Dashboard:
        mj = self.mj
        params = Params(
            mj.registry.min_stake(), mj.registry.unbonding_delay_s(), mj.rounds.params()
        )
        ledger = self._ledger
        # Active workers first (the status enum's order), then by usefulness, rewards, id.
        ranked = sorted(
            self._standings(),
            key=lambda w: (w.info.status, -w.info.usefulness, -w.rewards_wei, w.info.id),
        )
        min_population = params.oracle.min_population
        return Dashboard(
            block=block,
            supply=Supply(
                total_wei=mj.token.total_supply(),
                staked_wei=mj.registry.total_staked(),
                minted_wei=sum(ledger.rewards.values()),
                slashed_wei=sum(ledger.slashed.values()),
            ),
            params=params,
            populations=tuple(
                Population.from_stats(cap, mj.registry.population_stats(cap), min_population)
                for cap in sorted(set(ledger.capabilities.values()))
            ),
            workers=tuple(ranked),
            rounds=tuple(
                self._summary(history, self._workers) for history in self._recent_rounds()
            ),
            terminations=tuple(
                WorkerTermination.from_event(event)
                for event in reversed(ledger.terminations.values())
            ),
        )

    def _standings(self) -> list[WorkerStanding]:
        """Every registered worker, reading again those an event named since the last read."""
        ledger = self._ledger
        for wid in sorted(ledger.stale):
            self._workers[wid] = self.mj.registry.worker(wid)
        ledger.stale.clear()
        return [
            WorkerStanding(
                info=self._workers[wid],
                rewards_wei=ledger.rewards.get(wid, 0),
                slashed_wei=ledger.slashed.get(wid, 0),
                registered_tx=tx,
                termination=(
                    None
                    if (event := ledger.terminations.get(wid)) is None
                    else WorkerTermination.from_event(event)
                ),
            )
            for wid, tx in ledger.registered.items()
        ]

    def _recent_rounds(self) -> list[RoundHistory]:
        newest = sorted(self._ledger.rounds, reverse=True)[:RECENT_ROUNDS]
        return [self._ledger.rounds[rid] for rid in newest]

    def _summary(self, history: RoundHistory, workers: Mapping[bytes, WorkerInfo]) -> RoundSummary:
        """The round's summary; ``workers`` holds every worker it names, as last read."""
        opened = history.opened
        if history.opened_at is None:
            history.opened_at = self.mj.rounds.get(opened.round_id).opened_at
        slashes: dict[bytes, int] = defaultdict(int)
        for slash in self._ledger.slashes_by_tx.get(history.close_tx or "", []):
            slashes[slash.id] += slash.amount
        scores = history.scores if history.status == RoundStatus.CLOSED else None
        return RoundSummary(
            id=opened.round_id,
            status=history.status,
            opened_at=history.opened_at,
            block=opened.block_number,
            seed_block=opened.seed_block,
            open_tx=opened.tx_hash,
            close_tx=history.close_tx,
            seats=tuple(
                RoundSeat(
                    worker_id=wid,
                    score=None if scores is None else scores[i],
                    reward_wei=history.rewards.get(wid, 0),
                    slashed_wei=slashes.get(wid, 0),
                    explored=history.explored(workers[wid]),
                    eliminated=history.eliminated.get(wid),
                )
                for i, wid in enumerate(opened.worker_ids)
            ),
        )


__all__ = ["ChainView"]
