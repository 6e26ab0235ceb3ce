"""The UtilityOracle: rounds opened over workers, closed once with a proof, or abandoned."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from eth_typing import ChecksumAddress
from web3 import Web3

from protocol.artifacts import load_artifact
from protocol.chain.connection import Chain
from protocol.chain.events import (
    DuplicateAnswers,
    EventLog,
    RewardMinted,
    RoundOpened,
    ScoreRecorded,
    WorkerEliminated,
    WorkerSlashed,
    of_type,
)
from protocol.chain.signers import Signer
from protocol.chain.transactions import TxResult, bind, call, transact
from protocol.chain.transactions import seed_block as seed_block_of
from protocol.chain.types import (
    OracleParams,
    RoundCommitments,
    RoundInfo,
    RoundStatus,
    Termination,
    encode_capability,
    round_fingerprint,
)
from protocol.errors import ChainError

if TYPE_CHECKING:  # the chain layer runs without oracle's curve libraries (brownie's env)
    from oracle.solidity import ProofCalldata

#: closeRound verifies a proof; estimating its gas re-runs the pairing (slow in-process), so
#: closes carry this limit instead.
CLOSE_GAS = 3_000_000
#: How many of the latest rounds :meth:`Rounds.find` searches.
FIND_DEPTH = 64


@dataclass(frozen=True)
class OpenedRound:
    round_id: int
    tx: TxResult


@dataclass(frozen=True)
class Settlement:
    """What a close paid and took, per worker id, read from its receipt's events."""

    rewards: Mapping[bytes, int]
    slashed: Mapping[bytes, int]
    terminated: frozenset[bytes]
    #: Workers that gave an earlier registrant's answers: paid nothing, usefulness unchanged.
    duplicates: frozenset[bytes] = frozenset()
    #: Each worker's usefulness once the round is recorded.
    usefulness: Mapping[bytes, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ClosedRound:
    tx: TxResult
    settlement: Settlement


class Rounds:
    """The UtilityOracle contract of a deployment."""

    def __init__(self, chain: Chain, address: ChecksumAddress, event_log: EventLog) -> None:
        self.chain = chain
        self.address = address
        self.event_log = event_log
        self._oracle = bind(chain, address, load_artifact("UtilityOracle").abi)

    # -- a round's life ------------------------------------------------------------------

    def open(
        self,
        signer: Signer,
        worker_ids: Sequence[bytes],
        request_commitment: int,
        evaluation_commitment: int,
        seed_block: int | None = None,
    ) -> OpenedRound:
        """Opens a round over ``worker_ids`` (an operator only), chosen with the hash of block
        ``seed_block`` as exploration seed (default: the block before the latest)."""
        if seed_block is None:
            seed_block = seed_block_of(self.chain).number
        fn = self._oracle.functions.openRound(
            list(worker_ids), request_commitment, evaluation_commitment, seed_block
        )
        tx = transact(self.chain, signer, fn)
        opened = of_type(self.event_log.decode_receipt(tx.receipt), RoundOpened)
        if len(opened) != 1:
            raise ChainError(f"openRound {tx.tx_hash} emitted {len(opened)} RoundOpened events")
        return OpenedRound(opened[0].round_id, tx)

    def close(
        self,
        signer: Signer,
        round_id: int,
        worker_ids: Sequence[bytes],
        commitments: RoundCommitments,
        duplicates: int,
        scores: Sequence[int],
        proof: ProofCalldata,
        gas: int | None = CLOSE_GAS,
    ) -> ClosedRound:
        """Closes ``round_id`` with the workers' scores, the duplicates mask (bit i: worker i
        repeated an earlier registrant's answers) and a proof of them (an operator only,
        once); returns what the close paid and slashed. ``gas`` None estimates it."""
        fn = self._oracle.functions.closeRound(
            round_id, list(worker_ids), commitments.as_tuple(), duplicates, list(scores), proof
        )
        tx = transact(self.chain, signer, fn, gas=gas)
        return ClosedRound(tx, self._settlement(tx))

    def _settlement(self, tx: TxResult) -> Settlement:
        """The rewards, slashes and terminations a close transaction made."""
        events = self.event_log.decode_receipt(tx.receipt)
        rewards: dict[bytes, int] = {}
        for reward in of_type(events, RewardMinted):
            rewards[reward.worker_id] = rewards.get(reward.worker_id, 0) + reward.amount
        slashed: dict[bytes, int] = {}
        for slash in of_type(events, WorkerSlashed):
            slashed[slash.id] = slashed.get(slash.id, 0) + slash.amount
        terminated = frozenset(e.worker_id for e in of_type(events, WorkerEliminated))
        duplicates = frozenset(e.worker_id for e in of_type(events, DuplicateAnswers))
        usefulness = {e.id: e.usefulness for e in of_type(events, ScoreRecorded)}
        return Settlement(rewards, slashed, terminated, duplicates, usefulness)

    def abandon(self, signer: Signer, round_id: int) -> TxResult:
        """Abandons an open round: nothing paid, nothing slashed (an operator at any time,
        anyone once the round has expired)."""
        return transact(self.chain, signer, self._oracle.functions.abandonRound(round_id))

    def terminate(self, signer: Signer, wid: bytes) -> tuple[int, TxResult]:
        """Terminates ``wid`` if it qualifies (anyone may); the bounty paid to ``signer``."""
        tx = transact(self.chain, signer, self._oracle.functions.terminate(wid))
        eliminated = of_type(self.event_log.decode_receipt(tx.receipt), WorkerEliminated)
        return (eliminated[0].bounty if eliminated else 0), tx

    # -- reads ---------------------------------------------------------------------------

    def terminable(self, wid: bytes) -> Termination:
        """Whether ``wid`` can be terminated now, and why."""
        return Termination(call(self.chain, self._oracle.functions.terminable(wid)))

    def last_round_at(self, capability: str) -> int:
        """When ``capability`` last had a round closed (0: never): its idle decay's clock."""
        fn = self._oracle.functions.lastRoundAt(encode_capability(capability))
        return int(call(self.chain, fn))

    def is_outlier(self, capability: str, usefulness: int) -> bool:
        fn = self._oracle.functions.isOutlier(encode_capability(capability), usefulness)
        return bool(call(self.chain, fn))

    def get(self, round_id: int) -> RoundInfo:
        raw: Any = call(self.chain, self._oracle.functions.round(round_id))
        return RoundInfo(
            id=round_id,
            status=RoundStatus(raw[0]),
            opened_at=int(raw[1]),
            deadline=int(raw[2]),
            worker_count=int(raw[3]),
            fingerprint=bytes(raw[4]),
        )

    def last_id(self) -> int:
        """The id of the latest round (0 before the first)."""
        return int(call(self.chain, self._oracle.functions.lastRoundId()))

    def find(
        self, worker_ids: Sequence[bytes], request_commitment: int, evaluation_commitment: int
    ) -> int | None:
        """The round among the latest :data:`FIND_DEPTH` opened over these workers and
        commitments, if any (unique when the evaluation commitment is salted per round)."""
        wanted = round_fingerprint(worker_ids, request_commitment, evaluation_commitment)
        last = self.last_id()
        for round_id in range(last, max(0, last - FIND_DEPTH), -1):
            if self.get(round_id).fingerprint == wanted:
                return round_id
        return None

    def fingerprint(
        self, worker_ids: Sequence[bytes], request_commitment: int, evaluation_commitment: int
    ) -> bytes:
        """The fingerprint the contract computes for a round (its own pure function)."""
        fn = self._oracle.functions.fingerprint(
            list(worker_ids), request_commitment, evaluation_commitment
        )
        return bytes(call(self.chain, fn))

    def public_signals(
        self,
        round_id: int,
        commitments: RoundCommitments,
        duplicates: int,
        scores: Sequence[int],
    ) -> list[int]:
        """The public signals a proof closing ``round_id`` with ``scores`` must carry."""
        fn = self._oracle.functions.publicSignals(
            round_id, commitments.as_tuple(), duplicates, list(scores)
        )
        return [int(s) for s in call(self.chain, fn)]

    def reward_for(self, score: int, idle_s: int) -> int:
        """What the contract pays a worker with ``score``, ``idle_s`` after its capability's
        previous round."""
        fn = self._oracle.functions.rewardFor(score, idle_s)
        return int(call(self.chain, fn))

    def params(self) -> OracleParams:
        return OracleParams.from_tuple(call(self.chain, self._oracle.functions.params()))

    # -- the admin's ---------------------------------------------------------------------

    def set_params(self, signer: Signer, params: OracleParams) -> TxResult:
        return transact(self.chain, signer, self._oracle.functions.setParams(params.as_tuple()))

    def is_operator(self, account: str) -> bool:
        fns = self._oracle.functions
        role = call(self.chain, fns.OPERATOR_ROLE())
        return bool(call(self.chain, fns.hasRole(role, Web3.to_checksum_address(account))))

    def set_operator(self, signer: Signer, account: str, allowed: bool) -> TxResult:
        """Grants (``allowed``) or revokes the operator role of ``account``; the admin only."""
        fns = self._oracle.functions
        role = call(self.chain, fns.OPERATOR_ROLE())
        change = fns.grantRole if allowed else fns.revokeRole
        return transact(self.chain, signer, change(role, Web3.to_checksum_address(account)))
