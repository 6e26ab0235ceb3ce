"""What the dashboard shows, read from the chain: the contracts' views for the present state
(workers, stakes, supply, population statistics, parameters) and their events for the history
(who registered when, rewards and slashes per worker, rounds and their transactions).

Events are scanned once and then incrementally, from the deployment block to the newest block;
a dashboard is rebuilt only when a new block arrived. A worker is read again (``worker(id)``)
only when an event of the new blocks names it: every change of a worker's record emits one
(registered, stake added, exited, withdrawn, slashed, terminated, score recorded), so a new
block costs a handful of calls however many workers there are. Reorganisations are not
handled: devnets have none, and on a real chain history read from a replaced block stays until
the server restarts (noted in the README).
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, cast

from eth_utils.abi import event_abi_to_log_topic
from web3 import Web3
from web3.contract import Contract

from protocol.chain.contracts import MemJitContracts, RoundStatus, WorkerInfo
from protocol.chain.transactions import call, translate_errors

#: Blocks per eth_getLogs call: public RPC providers cap the range (10,000 is a common limit).
LOG_CHUNK_BLOCKS = 5_000
#: Rounds the dashboard lists, newest first.
RECENT_ROUNDS = 20


@dataclass
class RoundRecord:
    """One round as its events tell it."""

    id: int
    block: int
    open_tx: str
    worker_ids: list[bytes]
    status: RoundStatus = RoundStatus.OPEN
    close_tx: str | None = None
    opened_at: int | None = None  # read from the round's view the first time it is shown
    scores: list[int] | None = None
    rewards: dict[bytes, int] = field(default_factory=dict)
    eliminated: set[bytes] = field(default_factory=set)


@dataclass
class Ledger:
    """The history read from events so far (up to and including block ``scanned_to``)."""

    scanned_to: int
    registered: dict[bytes, str] = field(default_factory=dict)  # id → registering tx
    rewards: dict[bytes, int] = field(default_factory=lambda: defaultdict(int))
    slashed: dict[bytes, int] = field(default_factory=lambda: defaultdict(int))
    slashes_by_tx: dict[str, list[tuple[bytes, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    rounds: dict[int, RoundRecord] = field(default_factory=dict)
    #: Workers an event named since they were last read.
    stale: set[bytes] = field(default_factory=set)


class ChainView:
    """The dashboard's data for one deployment. Thread-safe: the HTTP server's threads share
    one view, and one lock keeps the event scan and the cached dashboard consistent."""

    def __init__(self, mj: MemJitContracts) -> None:
        self.mj = mj
        self._lock = threading.Lock()
        self._ledger = Ledger(scanned_to=mj.deployment.block_number - 1)
        self._events: dict[bytes, tuple[Contract, str]] = {}
        for contract in (mj.registry, mj.oracle):
            abi: list[dict[str, Any]] = list(contract.abi)  # type: ignore[arg-type]
            for item in abi:
                if item["type"] == "event" and item["name"] != "ParamsChanged":
                    topic = event_abi_to_log_topic(cast(Any, item))
                    self._events[topic] = (contract, item["name"])
        self._cached: tuple[int, dict[str, Any]] | None = None
        self._workers: dict[bytes, WorkerInfo] = {}

    # -- public ---------------------------------------------------------------------------

    def dashboard(self) -> dict[str, Any]:
        """Supply, parameters, population, leaderboard and recent rounds at the newest block."""
        with self._lock, translate_errors(self.mj.chain):
            block = self.mj.chain.w3.eth.get_block("latest")
            number = int(block["number"])
            if self._cached is not None and self._cached[0] == number:
                return self._cached[1]
            self._scan(number)
            result = self._build(number, int(block["timestamp"]))
            self._cached = (number, result)
            return result

    def account(self, address: str) -> dict[str, Any]:
        """An account's SWT balance and the workers it registered."""
        owner = Web3.to_checksum_address(address)
        with self._lock, translate_errors(self.mj.chain):
            self._scan(int(self.mj.chain.w3.eth.block_number))
            workers = self._current_workers()
            return {
                "address": owner,
                "balance_wei": str(self.mj.balance_of(owner)),
                "workers": [self._worker_json(w) for w in workers if w.owner == owner],
            }

    # -- events ---------------------------------------------------------------------------

    def _scan(self, latest: int) -> None:
        ledger = self._ledger
        addresses = [self.mj.registry.address, self.mj.oracle.address]
        while ledger.scanned_to < latest:
            start = ledger.scanned_to + 1
            end = min(latest, start + LOG_CHUNK_BLOCKS - 1)
            logs = self.mj.chain.w3.eth.get_logs(
                {"address": addresses, "fromBlock": start, "toBlock": end}
            )
            for log in sorted(logs, key=lambda x: (x["blockNumber"], x["logIndex"])):
                self._apply(log)
            ledger.scanned_to = end

    def _apply(self, log: Any) -> None:
        topics = log["topics"]
        known = self._events.get(bytes(topics[0])) if topics else None
        if known is None:
            return
        contract, name = known
        args = contract.events[name]().process_log(log)["args"]
        tx = "0x" + bytes(log["transactionHash"]).hex()
        ledger = self._ledger
        if contract is self.mj.registry and "id" in args:
            ledger.stale.add(bytes(args["id"]))
        if name == "WorkerRegistered":
            ledger.registered[bytes(args["id"])] = tx
        elif name == "WorkerSlashed":
            ledger.slashed[bytes(args["id"])] += int(args["amount"])
            ledger.slashes_by_tx[tx].append((bytes(args["id"]), int(args["amount"])))
        elif name == "RoundOpened":
            rid = int(args["roundId"])
            ids = [bytes(w) for w in args["workerIds"]]
            ledger.rounds[rid] = RoundRecord(rid, int(log["blockNumber"]), tx, ids)
        elif name in ("RoundClosed", "RoundAbandoned"):
            record = ledger.rounds.get(int(args["roundId"]))
            if record is not None:
                record.close_tx = tx
                if name == "RoundClosed":
                    record.status = RoundStatus.CLOSED
                    record.scores = [int(s) for s in args["scores"]]
                else:
                    record.status = RoundStatus.ABANDONED
        elif name == "RewardMinted":
            wid, amount = bytes(args["workerId"]), int(args["amount"])
            ledger.rewards[wid] += amount
            record = ledger.rounds.get(int(args["roundId"]))
            if record is not None:
                record.rewards[wid] = record.rewards.get(wid, 0) + amount
        elif name == "WorkerEliminated":
            record = ledger.rounds.get(int(args["roundId"]))
            if record is not None:
                record.eliminated.add(bytes(args["workerId"]))

    # -- views ----------------------------------------------------------------------------

    def _build(self, number: int, timestamp: int) -> dict[str, Any]:
        mj = self.mj
        oracle = mj.oracle.functions
        base_rate, floor, slash_bps, per_round, min_population, timeout, _ = call(
            mj.chain, oracle.params()
        )
        ledger = self._ledger
        # Active workers first (the status enum's order), then by usefulness, rewards, id.
        ranked = sorted(
            self._current_workers(),
            key=lambda w: (w.status, -w.usefulness, -ledger.rewards.get(w.id, 0), w.id),
        )
        return {
            "block": {"number": number, "timestamp": timestamp},
            "supply": {
                "total_wei": str(call(mj.chain, mj.swt.functions.totalSupply())),
                "staked_wei": str(mj.total_staked()),
                "minted_wei": str(sum(ledger.rewards.values())),
                "slashed_wei": str(sum(ledger.slashed.values())),
            },
            "params": {
                "min_stake_wei": str(call(mj.chain, mj.registry.functions.minStake())),
                "unbonding_delay_s": int(call(mj.chain, mj.registry.functions.unbondingDelay())),
                "base_rate_wei": str(base_rate),
                "score_floor": int(floor),
                "slash_bps": int(slash_bps),
                "max_workers_per_round": int(per_round),
                "min_population": int(min_population),
                "round_timeout_s": int(timeout),
            },
            "population": population(*mj.population_stats(), int(min_population)),
            "workers": [self._worker_json(info) for info in ranked],
            "rounds": [self._round_json(r) for r in self._recent_rounds()],
        }

    def _current_workers(self) -> list[WorkerInfo]:
        """Every registered worker, reading again those an event named since the last read."""
        ledger = self._ledger
        for wid in sorted(ledger.stale):
            self._workers[wid] = self.mj.worker(wid)
        ledger.stale.clear()
        return [self._workers[wid] for wid in ledger.registered]

    def _recent_rounds(self) -> list[RoundRecord]:
        newest = sorted(self._ledger.rounds, reverse=True)[:RECENT_ROUNDS]
        return [self._ledger.rounds[rid] for rid in newest]

    def _worker_json(self, info: WorkerInfo) -> dict[str, Any]:
        ledger = self._ledger
        return {
            "id": "0x" + info.id.hex(),
            "owner": info.owner,
            "cid": info.cid,
            "capability": info.capability,
            "status": info.status.name.lower(),
            "last_score": info.last_score,
            "usefulness": info.usefulness / 100,
            "rounds_scored": info.rounds_scored,
            "stake_wei": str(info.stake),
            "rewards_wei": str(ledger.rewards.get(info.id, 0)),
            "slashed_wei": str(ledger.slashed.get(info.id, 0)),
            "last_used": info.last_used,
            "unbonds_at": info.unbonds_at,
            "registered_tx": ledger.registered[info.id],
        }

    def _round_json(self, record: RoundRecord) -> dict[str, Any]:
        if record.opened_at is None:
            raw: Any = call(self.mj.chain, self.mj.oracle.functions.round(record.id))
            record.opened_at = int(raw[1])
        slashes: dict[bytes, int] = defaultdict(int)
        for wid, amount in self._ledger.slashes_by_tx.get(record.close_tx or "", []):
            slashes[wid] += amount
        scores = record.scores if record.status == RoundStatus.CLOSED else None
        return {
            "id": record.id,
            "status": record.status.name.lower(),
            "opened_at": record.opened_at,
            "block": record.block,
            "open_tx": record.open_tx,
            "close_tx": record.close_tx,
            "minted_wei": str(sum(record.rewards.values())),
            "slashed_wei": str(sum(slashes.values())),
            "workers": [
                {
                    "id": "0x" + wid.hex(),
                    "score": None if scores is None else scores[i],
                    "reward_wei": str(record.rewards.get(wid, 0)),
                    "slashed_wei": str(slashes.get(wid, 0)),
                    "eliminated": wid in record.eliminated,
                }
                for i, wid in enumerate(record.worker_ids)
            ],
        }


def population(count: int, total: int, squares: int, min_population: int) -> dict[str, Any]:
    """Mean, standard deviation and 3σ cutoff of the active scored workers' usefulness, in
    points, from the registry's running sums (kept in hundredths of a point)."""
    if count == 0:
        return {"count": 0, "mean": None, "sd": None, "cutoff": None, "rule_active": False}
    mean = total / count
    variance = max(squares / count - mean * mean, 0.0)
    sd = math.sqrt(variance)
    return {
        "count": count,
        "mean": round(mean / 100, 4),
        "sd": round(sd / 100, 4),
        "cutoff": round((mean - 3 * sd) / 100, 4),
        "rule_active": count >= min_population,
    }


__all__ = ["ChainView", "population"]
