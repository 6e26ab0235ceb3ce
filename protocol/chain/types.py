"""The contracts' own types in Python: their enums, structs and encodings.

Each mirrors a declaration in ``contracts/interfaces/``; the chain layer returns these, never
raw tuples, so callers read fields by name (``round.deadline``, not ``state[2]``).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import encode
from eth_typing import ChecksumAddress
from web3 import Web3

from protocol.errors import ConfigError


class WorkerStatus(enum.IntEnum):
    """Mirrors ``WorkerStatus`` in IWorkerRegistry.sol."""

    NONE = 0
    ACTIVE = 1
    EXITING = 2
    TERMINATED = 3
    WITHDRAWN = 4


class Termination(enum.IntEnum):
    """Mirrors ``Termination`` in IUtilityOracle.sol: why a worker can be terminated."""

    NONE = 0
    OUTLIER = 1
    STRIKES = 2


class RoundStatus(enum.IntEnum):
    """Mirrors ``RoundStatus`` in IUtilityOracle.sol."""

    NONE = 0
    OPEN = 1
    CLOSED = 2
    ABANDONED = 3


def solidity_label(member: enum.IntEnum) -> str:
    """An enum member as Solidity spells it: ``WorkerStatus.ACTIVE`` → ``Active``."""
    return member.name.title()


@dataclass(frozen=True)
class WorkerInfo:
    """One worker as the registry stores it (``Worker`` in IWorkerRegistry.sol)."""

    id: bytes
    owner: ChecksumAddress
    status: WorkerStatus
    last_score: int
    #: Usefulness in hundredths of a point (0-10000): the mean of its scores and a prior at
    #: the population's mean, a moving average once it has enough rounds.
    usefulness: int
    last_used: int
    rounds_scored: int
    stake: int
    unbonds_at: int
    #: Registration number (1 = the first worker ever): a round lists its workers in this
    #: order, and of two that give the same answers the later earns nothing.
    serial: int
    #: Rounds scored under the floor, less those at or above it (never below 0).
    strikes: int
    capability: str
    cid: str


@dataclass(frozen=True)
class RoundInfo:
    """One round as the oracle stores it (``Round`` in IUtilityOracle.sol): two slots."""

    id: int
    status: RoundStatus
    opened_at: int
    #: The round must be closed by this time; after it, it can only be abandoned.
    deadline: int
    worker_count: int
    #: keccak256 of the request and evaluation commitments and the worker ids
    #: (:func:`round_fingerprint`).
    fingerprint: bytes


@dataclass(frozen=True)
class RoundCommitments:
    """What a round is closed with (``RoundCommitments`` in IUtilityOracle.sol)."""

    request: int
    evaluation: int
    outputs: int

    def as_tuple(self) -> tuple[int, int, int]:
        return (self.request, self.evaluation, self.outputs)


@dataclass(frozen=True)
class OracleParams:
    """The oracle's economic and safety parameters (``OracleParams`` in IUtilityOracle.sol)."""

    base_rate_wei: int
    score_floor: int
    slash_bps: int
    strike_limit: int
    termination_bps: int
    max_workers_per_round: int
    min_population: int
    round_timeout_s: int
    treasury: ChecksumAddress

    def as_tuple(self) -> tuple[int, int, int, int, int, int, int, int, ChecksumAddress]:
        """The struct as the contract takes it, fields in declaration order."""
        return (
            self.base_rate_wei,
            self.score_floor,
            self.slash_bps,
            self.strike_limit,
            self.termination_bps,
            self.max_workers_per_round,
            self.min_population,
            self.round_timeout_s,
            self.treasury,
        )

    @classmethod
    def from_tuple(cls, raw: Sequence[Any]) -> OracleParams:
        """The struct as the contract returns it."""
        (
            base_rate,
            floor,
            slash_bps,
            strikes,
            termination,
            per_round,
            min_population,
            timeout,
            treasury,
        ) = raw
        return cls(
            base_rate_wei=int(base_rate),
            score_floor=int(floor),
            slash_bps=int(slash_bps),
            strike_limit=int(strikes),
            termination_bps=int(termination),
            max_workers_per_round=int(per_round),
            min_population=int(min_population),
            round_timeout_s=int(timeout),
            treasury=Web3.to_checksum_address(treasury),
        )


@dataclass(frozen=True)
class PopulationStats:
    """The registry's running sums over a capability's active, scored workers' usefulness
    (hundredths of a point): what the 3-sigma rule and a newcomer's prior are computed from."""

    count: int
    total: int
    squares: int


@dataclass(frozen=True)
class TokenMetadata:
    name: str
    symbol: str
    decimals: int


@dataclass(frozen=True)
class Permit:
    """An EIP-2612 permit signature."""

    deadline: int
    v: int
    r: bytes
    s: bytes

    def as_args(self) -> tuple[int, int, bytes, bytes]:
        return (self.deadline, self.v, self.r, self.s)


def encode_capability(name: str) -> bytes:
    """A capability name ("digits-8x8") as the registry's right-padded bytes32."""
    raw = name.encode("ascii", errors="replace")
    if not name or len(raw) > 31 or not name.isprintable() or "?" in raw.decode():
        raise ConfigError(f"capability must be 1-31 printable ASCII characters, got {name!r}")
    return raw.ljust(32, b"\0")


def decode_capability(raw: bytes) -> str:
    return raw.rstrip(b"\0").decode("ascii", errors="replace")


def worker_id(owner: str, cid: str) -> bytes:
    """``keccak256(abi.encode(owner, cid))``, as the registry computes it."""
    return bytes(Web3.keccak(encode(["address", "string"], [Web3.to_checksum_address(owner), cid])))


def round_fingerprint(worker_ids: Sequence[bytes], request: int, evaluation: int) -> bytes:
    """What the UtilityOracle stores for a round: keccak256(abi.encodePacked(request
    commitment, evaluation commitment, worker ids))."""
    return bytes(
        Web3.keccak(
            request.to_bytes(32, "big") + evaluation.to_bytes(32, "big") + b"".join(worker_ids)
        )
    )
