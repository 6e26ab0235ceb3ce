"""Which workers play a round: the best by usefulness, and newcomers explored until one round
cannot decide their fate.

A worker is *learning* until it has :data:`EXPLORATION_ROUNDS` scored rounds. Learning
workers get the exploration slots (:func:`exploration_slots`: the slots beyond the three the
contract rewards, so exploring never displaces a rewarded worker). One already started is
finished first, and new ones start in registration order (an original before any later copy
of it, none starved): a worker plays its learning rounds back to back, so a useless worker collects the strikes
that terminate it within a few rounds of its first score, and a good one reaches the
ranking within :data:`EXPLORATION_ROUNDS` rounds. A worker with strikes stays on probation
(:data:`PROBATION_ROUNDS`), so a useless one's lucky round does not save it. Settled workers fill the other slots by
usefulness, which the registry shrinks toward the population's mean, so one lucky or
unlucky draw moves a newcomer only part of the way.

Among settled workers, a near-copy (answering the probe nearly as an earlier registrant does)
ranks above it only when it is more useful by :data:`DISPLACE_MARGIN`. Order among equals (the same usefulness, or started learners with as
many rounds) is random, drawn
from a seed the operator cannot choose: the hash of a recent block, named on-chain when the
round opens (:meth:`Selection.seed_block`), so anyone can re-derive the choice. Newcomers
do not lose every tie, and no worker is favoured by its id.

Answer classes (:mod:`classes`) are resolved lazily, only for the workers about to be
picked: a round reads and probes a bounded number of workers however many are registered.
A class plays once per round, as its earliest active registrant; a new identity inherits
its class's record (so exiting and registering the same model again resets nothing), and a
class with a terminated member never plays again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from protocol.chain.types import WorkerInfo, WorkerStatus

#: Scored rounds a worker is explored for, back to back. As many as the strikes that
#: terminate a worker under the floor (the oracle's default ``strikeLimit``).
EXPLORATION_ROUNDS = 3

#: A worker with strikes (rounds under the floor not yet made up) stays on probation, and is
#: explored again, until it has this many scored rounds: a useless worker's lucky round does
#: not let it settle out of reach of the strikes that terminate it.
PROBATION_ROUNDS = 8

#: How much more useful (hundredths of a point) a near-copy (:meth:`ClassResolver.near`) must
#: be to rank above the earlier registrant it resembles: 2 points, more than the spread of a
#: settled worker's usefulness (about 1.3 points after 16 rounds of 16 canaries). Like the ε
#: of Bittensor's pretraining subnet, it keeps a copy with a trivial change from displacing the
#: model it copied; workers that answer differently compete on usefulness alone.
DISPLACE_MARGIN = 200

#: Workers the contract rewards per round (its ``REWARDED_PER_ROUND``).
REWARDED_PER_ROUND = 3


def exploration_slots(slots: int) -> int:
    """Slots a round keeps for learning workers: those beyond the rewarded three, at least
    one."""
    return max(1, slots - REWARDED_PER_ROUND)


def is_learning(worker: WorkerInfo) -> bool:
    """Still explored: too few rounds to judge, or strikes on probation."""
    return worker.rounds_scored < EXPLORATION_ROUNDS or (
        worker.strikes > 0 and worker.rounds_scored < PROBATION_ROUNDS
    )


def earlier_first_within(
    ranked: list[WorkerInfo],
    margin: int,
    depth: int,
    near: Callable[[WorkerInfo, WorkerInfo], bool],
) -> None:
    """Reorders the first ``depth`` of ``ranked`` (best first) in place so that a later
    registrant stays above an earlier one it is ``near`` only when it is at least ``margin``
    more useful."""
    top = min(depth, len(ranked))
    for i in range(1, top):
        j = i
        while j > 0:
            above, below = ranked[j - 1], ranked[j]
            if (
                above.serial > below.serial
                and above.usefulness - below.usefulness < margin
                and near(above, below)
            ):
                ranked[j - 1], ranked[j] = below, above
                j -= 1
            else:
                break


def tie_break(seed: bytes, worker_id: bytes) -> bytes:
    """A worker's place among equals: BLAKE2b-64 of the seed and its id."""
    return hashlib.blake2b(seed + worker_id, digest_size=8).digest()


def seed_of(block_hash: bytes, capability: str) -> bytes:
    """A round's exploration seed: the block's hash bound to the capability."""
    return hashlib.blake2b(block_hash + capability.encode(), digest_size=32).digest()


class ClassResolver(Protocol):
    """What selection needs from :class:`~protocol.engine.classes.AnswerClasses`."""

    def standing(
        self, capability: str, worker: WorkerInfo, active: Mapping[bytes, WorkerInfo]
    ) -> tuple[bytes | None, WorkerInfo | None]:
        """The worker's class key (None: no class) and the record it plays with: its own,
        its class's best-known one, or None when the class may not play."""
        ...

    def representative(
        self, capability: str, key: bytes, active: Mapping[bytes, WorkerInfo]
    ) -> WorkerInfo:
        """The earliest active registrant of class ``key``."""
        ...

    def near(self, capability: str, first: WorkerInfo, second: WorkerInfo) -> bool:
        """True when the two answer nearly alike: a later one needs a margin to pass."""
        ...


@dataclass(frozen=True)
class Selection:
    """The workers of a round, in registration order, and which were picked to explore."""

    workers: tuple[WorkerInfo, ...]
    explored: frozenset[bytes]
    seed: bytes
    #: The block whose hash the seed came from (None: a seed given some other way).
    seed_block: int | None = None


def select_workers(
    candidates: Iterable[WorkerInfo],
    slots: int,
    seed: bytes,
    capability: str = "",
    classes: ClassResolver | None = None,
    seed_block: int | None = None,
) -> Selection:
    """Up to ``slots`` active workers: learning ones in the exploration slots (started ones
    first), the most useful settled ones in the rest, any slot left filled by whoever is
    next."""
    active = {w.id: w for w in candidates if w.status == WorkerStatus.ACTIVE}
    rank = {wid: tie_break(seed, wid) for wid in active}
    learning = sorted(
        (w for w in active.values() if is_learning(w)),
        key=lambda w: (-w.rounds_scored, w.serial if w.rounds_scored == 0 else 0, rank[w.id]),
    )
    settled = [w for w in active.values() if not is_learning(w)]
    picked: dict[bytes, WorkerInfo] = {}
    taken: set[bytes] = set()  # answer classes already in the round
    explored: set[bytes] = set()

    def take(worker: WorkerInfo) -> bool | None:
        """Adds ``worker`` (or its class's representative); True if added, False if its
        class is taken or barred, None if it turned out settled (an inherited record)."""
        if classes is None:
            picked[worker.id] = worker
            return True
        key, record = classes.standing(capability, worker, active)
        if record is None or (key is not None and key in taken):
            return False
        if is_learning(worker) and not is_learning(record):
            settled.append(record)
            return None
        chosen = worker if key is None else classes.representative(capability, key, active)
        if key is not None:
            taken.add(key)
        picked[chosen.id] = chosen
        return True

    # Settled workers first, up to the slots exploration leaves them: probing them first puts
    # an original's record in its class before any copy of it is considered.
    budget = min(exploration_slots(slots), len(learning))

    def near(first: WorkerInfo, second: WorkerInfo) -> bool:
        return classes is not None and classes.near(capability, first, second)

    settled.sort(key=lambda w: (-w.usefulness, rank[w.id]))
    earlier_first_within(settled, DISPLACE_MARGIN, 2 * slots, near)
    considered: set[bytes] = set()
    for worker in settled:
        if len(picked) >= slots - budget:
            break
        considered.add(worker.id)
        take(worker)
    for worker in learning:
        if len(explored) >= budget or len(picked) >= slots:
            break
        considered.add(worker.id)
        taken_now = take(worker)
        if taken_now:
            explored.add(worker.id)
        elif taken_now is None:  # an inherited record, now among the settled
            considered.discard(worker.id)
    # Any slot left: whoever is next, settled (inherited records included) then learning.
    settled.sort(key=lambda w: (-w.usefulness, rank.get(w.id, b"")))
    earlier_first_within(settled, DISPLACE_MARGIN, 2 * slots, near)
    for worker in [*settled, *learning]:
        if len(picked) >= slots:
            break
        if worker.id in considered or worker.id in picked:
            continue
        considered.add(worker.id)
        if take(worker) and is_learning(worker):
            explored.add(worker.id)
    chosen = sorted(picked.values(), key=lambda w: w.serial)
    return Selection(tuple(chosen), frozenset(explored & picked.keys()), seed, seed_block)
