"""How a node rates its peers: uptime, successful compiles and runs, bandwidth served, and
misbehaviour, all with a half-life so that a peer's past fades and it can recover.

A score is a product of factors in (0, 1], each a smoothed estimate, so a peer needs evidence
both ways before it sits at an extreme:

- **uptime**: the share of liveness checks answered, ``(up + 1) / (checks + 2)`` (Laplace's
  rule: an unknown peer starts at 1/2, not 0 or 1);
- **reliability**: successful compiles and runs over all attempts, smoothed the same way;
- **misbehaviour** (bytes that do not match their CID, malformed or hostile messages): each
  event halves the score. One bad block is not an accident a node can make: content is
  verified before it is served;
- **bandwidth**: bytes served to us lift the score by up to 25 %, logarithmically, so a big
  peer is preferred but cannot buy its way past a bad record.

Every counter decays with the same half-life (default one hour), applied lazily when the record
is touched or read, so memory and work stay O(1) per peer.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

#: Counters halve every hour: a peer's behaviour an hour ago counts half as much as now.
DEFAULT_HALF_LIFE_S = 3600.0
#: Each (decayed) misbehaviour event halves the score.
MISBEHAVIOUR_PENALTY = 0.5
#: Bandwidth lifts a score by at most this factor.
MAX_BANDWIDTH_BONUS = 0.25
#: Bytes served at which the bandwidth bonus is half its maximum.
BANDWIDTH_HALF_BONUS_BYTES = 16 * 1024 * 1024


@dataclass
class PeerRecord:
    """Decayed evidence about one peer, as of ``updated`` (a monotonic time)."""

    updated: float
    checks: float = 0.0
    up: float = 0.0
    attempts: float = 0.0
    successes: float = 0.0
    misbehaviour: float = 0.0
    bytes_served: float = 0.0

    def decay_to(self, now: float, half_life_s: float) -> None:
        if now <= self.updated:
            return
        factor = 0.5 ** ((now - self.updated) / half_life_s)
        self.checks *= factor
        self.up *= factor
        self.attempts *= factor
        self.successes *= factor
        self.misbehaviour *= factor
        self.bytes_served *= factor
        self.updated = now

    @property
    def uptime(self) -> float:
        return (self.up + 1.0) / (self.checks + 2.0)

    @property
    def reliability(self) -> float:
        return (self.successes + 1.0) / (self.attempts + 2.0)

    @property
    def bandwidth_bonus(self) -> float:
        served = self.bytes_served
        return 1.0 + MAX_BANDWIDTH_BONUS * served / (served + BANDWIDTH_HALF_BONUS_BYTES)

    def score(self) -> float:
        penalty: float = MISBEHAVIOUR_PENALTY**self.misbehaviour
        return self.uptime * self.reliability * penalty * self.bandwidth_bonus


@dataclass
class Reputation:
    """Every peer's record, keyed by peer id. Not thread-safe: one owner (the node's loop)."""

    half_life_s: float = DEFAULT_HALF_LIFE_S
    clock: Callable[[], float] = time.monotonic
    peers: dict[str, PeerRecord] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.half_life_s > 0 or math.isinf(self.half_life_s):
            raise ValueError(
                f"half-life must be a positive number of seconds, got {self.half_life_s}"
            )

    def _record(self, peer: str) -> PeerRecord:
        now = self.clock()
        record = self.peers.get(peer)
        if record is None:
            record = self.peers[peer] = PeerRecord(updated=now)
        record.decay_to(now, self.half_life_s)
        return record

    def liveness(self, peer: str, answered: bool) -> None:
        """A ping, a lookup or a dial: did the peer answer?"""
        record = self._record(peer)
        record.checks += 1
        record.up += answered

    def outcome(self, peer: str, succeeded: bool) -> None:
        """A compile or run the peer did for us: did it deliver?"""
        record = self._record(peer)
        record.attempts += 1
        record.successes += succeeded

    def served(self, peer: str, size: int) -> None:
        """The peer sent us ``size`` bytes of verified content."""
        if size < 0:
            raise ValueError(f"bytes served cannot be negative: {size}")
        self._record(peer).bytes_served += size

    def misbehaved(self, peer: str) -> None:
        """Bytes that do not match their CID, a malformed or hostile message."""
        self._record(peer).misbehaviour += 1

    def score(self, peer: str) -> float:
        """In (0, 1.25]; a peer never seen scores 0.25 (uptime and reliability unknown)."""
        return self._record(peer).score()

    def rank(self, peers: Iterable[str]) -> list[str]:
        """``peers`` best first; equal scores keep their given order (e.g. XOR distance)."""
        candidates = list(peers)
        scores = {p: self.score(p) for p in candidates}
        return sorted(candidates, key=lambda p: -scores[p])

    def forget(self, peer: str) -> None:
        self.peers.pop(peer, None)


@dataclass(frozen=True)
class PeerStanding:
    """A peer as a node sees it: its reputation score and, for the routing table's peers,
    how to reach it."""

    peer: str
    score: float
    addresses: tuple[str, ...] | None = None

    def to_json(self) -> dict[str, object]:
        shown: dict[str, object] = {"peer": self.peer, "score": round(self.score, 4)}
        if self.addresses is not None:
            shown["addresses"] = list(self.addresses)
        return shown
