"""What the dashboard shows, as typed values: the chain view builds them, the HTTP server turns
them into JSON (``to_json``), the page's only view of them (web/src/api.ts mirrors the shapes).

Amounts of wei travel as decimal strings (they exceed JavaScript's safe integers), usefulness
in points (the registry keeps hundredths), enums as their lower-case names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from eth_typing import ChecksumAddress

from protocol.chain import (
    BlockHeader,
    OracleParams,
    PopulationStats,
    RoundStatus,
    WorkerInfo,
    WorkerStatus,
)
from protocol.chain.events import WorkerEliminated
from protocol.chain.types import Termination
from protocol.engine.selection import is_learning


@dataclass(frozen=True)
class Supply:
    total_wei: int
    staked_wei: int
    minted_wei: int
    slashed_wei: int

    def to_json(self) -> dict[str, Any]:
        return {
            "total_wei": str(self.total_wei),
            "staked_wei": str(self.staked_wei),
            "minted_wei": str(self.minted_wei),
            "slashed_wei": str(self.slashed_wei),
        }


@dataclass(frozen=True)
class Params:
    """The registry's and the oracle's parameters."""

    min_stake_wei: int
    unbonding_delay_s: int
    oracle: OracleParams

    def to_json(self) -> dict[str, Any]:
        oracle = self.oracle
        return {
            "min_stake_wei": str(self.min_stake_wei),
            "unbonding_delay_s": self.unbonding_delay_s,
            "base_rate_wei": str(oracle.base_rate_wei),
            "score_floor": oracle.score_floor,
            "slash_bps": oracle.slash_bps,
            "strike_limit": oracle.strike_limit,
            "termination_bps": oracle.termination_bps,
            "max_workers_per_round": oracle.max_workers_per_round,
            "min_population": oracle.min_population,
            "round_timeout_s": oracle.round_timeout_s,
        }


@dataclass(frozen=True)
class Population:
    """Mean, standard deviation and 3σ cutoff of a capability's active scored workers'
    usefulness, in points (None while none is scored): the 3σ rule compares a worker with its
    own capability's workers only."""

    capability: str
    count: int
    mean: float | None
    sd: float | None
    cutoff: float | None
    rule_active: bool

    @classmethod
    def from_stats(cls, capability: str, stats: PopulationStats, min_population: int) -> Population:
        """From the registry's running sums (kept in hundredths of a point): the numbers the
        3-sigma rule itself uses."""
        if stats.count == 0:
            return cls(capability, 0, None, None, None, False)
        mean = stats.total / stats.count
        sd = math.sqrt(max(stats.squares / stats.count - mean * mean, 0.0))
        return cls(
            capability=capability,
            count=stats.count,
            mean=round(mean / 100, 4),
            sd=round(sd / 100, 4),
            cutoff=round((mean - 3 * sd) / 100, 4),
            rule_active=stats.count >= min_population,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "capability": self.capability,
            "count": self.count,
            "mean": self.mean,
            "sd": self.sd,
            "cutoff": self.cutoff,
            "rule_active": self.rule_active,
        }


@dataclass(frozen=True)
class WorkerTermination:
    """A worker's termination, as its ``WorkerEliminated`` event tells it."""

    worker_id: bytes
    reason: Termination
    #: The round whose close terminated it; None: a call to ``terminate`` by ``by``.
    round_id: int | None
    #: Who sent the transaction (a round's closer, or whoever called ``terminate``).
    by: ChecksumAddress
    #: Usefulness at termination, in hundredths of a point.
    usefulness: int
    #: Stake slashed: ``bounty_wei`` of it to ``by``, the rest to the treasury.
    slashed_wei: int
    bounty_wei: int
    block: int
    tx: str

    @classmethod
    def from_event(cls, event: WorkerEliminated) -> WorkerTermination:
        return cls(
            worker_id=event.worker_id,
            reason=event.reason,
            round_id=event.round_id or None,
            by=event.by,
            usefulness=event.usefulness,
            slashed_wei=event.slashed,
            bounty_wei=event.bounty,
            block=event.block_number,
            tx=event.tx_hash,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": "0x" + self.worker_id.hex(),
            "reason": self.reason.name.lower(),
            "round_id": self.round_id,
            "by": self.by,
            "usefulness": self.usefulness / 100,
            "slashed_wei": str(self.slashed_wei),
            "bounty_wei": str(self.bounty_wei),
            "block": self.block,
            "tx": self.tx,
        }


@dataclass(frozen=True)
class WorkerStanding:
    """A worker as the registry holds it, with what its events add up to."""

    info: WorkerInfo
    rewards_wei: int
    slashed_wei: int
    registered_tx: str
    termination: WorkerTermination | None = None

    def to_json(self) -> dict[str, Any]:
        info = self.info
        return {
            "id": "0x" + info.id.hex(),
            "owner": info.owner,
            "cid": info.cid,
            "capability": info.capability,
            "status": info.status.name.lower(),
            "last_score": info.last_score,
            "usefulness": info.usefulness / 100,
            "rounds_scored": info.rounds_scored,
            "strikes": info.strikes,
            # The engine explores it in its next rounds (selection.is_learning).
            "learning": info.status == WorkerStatus.ACTIVE and is_learning(info),
            "stake_wei": str(info.stake),
            "rewards_wei": str(self.rewards_wei),
            "slashed_wei": str(self.slashed_wei),
            "last_used": info.last_used,
            "unbonds_at": info.unbonds_at,
            "serial": info.serial,
            "registered_tx": self.registered_tx,
            "termination": None if self.termination is None else self.termination.to_json(),
        }


@dataclass(frozen=True)
class RoundSeat:
    """One worker's part in a round."""

    worker_id: bytes
    #: None unless the round closed.
    score: int | None
    reward_wei: int
    slashed_wei: int
    #: Picked to explore: it was learning (selection.is_learning) when the round opened.
    explored: bool
    #: Why the round's close terminated it (None: it did not).
    eliminated: Termination | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": "0x" + self.worker_id.hex(),
            "score": self.score,
            "reward_wei": str(self.reward_wei),
            "slashed_wei": str(self.slashed_wei),
            "explored": self.explored,
            "eliminated": None if self.eliminated is None else self.eliminated.name.lower(),
        }


@dataclass(frozen=True)
class RoundSummary:
    id: int
    status: RoundStatus
    opened_at: int
    block: int
    #: The block whose hash seeded the choice of workers.
    seed_block: int
    open_tx: str
    close_tx: str | None
    seats: tuple[RoundSeat, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status.name.lower(),
            "opened_at": self.opened_at,
            "block": self.block,
            "seed_block": self.seed_block,
            "open_tx": self.open_tx,
            "close_tx": self.close_tx,
            "minted_wei": str(sum(seat.reward_wei for seat in self.seats)),
            "slashed_wei": str(sum(seat.slashed_wei for seat in self.seats)),
            "workers": [seat.to_json() for seat in self.seats],
        }


@dataclass(frozen=True)
class Dashboard:
    """Everything the page shows, as of one block."""

    block: BlockHeader
    supply: Supply
    params: Params
    #: One per capability a worker registered for, by name.
    populations: tuple[Population, ...]
    #: Active workers first, then by usefulness, rewards and id.
    workers: tuple[WorkerStanding, ...]
    #: Newest first.
    rounds: tuple[RoundSummary, ...]
    #: Every termination, newest first.
    terminations: tuple[WorkerTermination, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "block": {"number": self.block.number, "timestamp": self.block.timestamp},
            "supply": self.supply.to_json(),
            "params": self.params.to_json(),
            "populations": [population.to_json() for population in self.populations],
            "workers": [worker.to_json() for worker in self.workers],
            "rounds": [summary.to_json() for summary in self.rounds],
            "terminations": [termination.to_json() for termination in self.terminations],
        }


@dataclass(frozen=True)
class Account:
    """An account's SWT and the workers it registered."""

    address: ChecksumAddress
    balance_wei: int
    workers: tuple[WorkerStanding, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "balance_wei": str(self.balance_wei),
            "workers": [worker.to_json() for worker in self.workers],
        }
