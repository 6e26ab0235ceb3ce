"""After each round the node terminates the workers of the capability that qualify.

The contract terminates a round's own workers when it closes the round, and anyone may call
``terminate`` for any worker at any time, for a bounty. A worker that is not selected again is
never in a round, so without someone checking it, a bad worker first scored while the
population was small would stay active forever. The node checks, cheaply: from the index it
already keeps, only the workers that could qualify are asked about on-chain, those with
strikes at the limit, or whose usefulness lies more than 3·MIN_SIGMA (15 points) under their
capability's mean once the 3σ rule applies. Usually there are none, and the sweep costs no
call at all.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from oracle.economics import MIN_SIGMA
from protocol.chain import MemJitContracts, OracleParams, Signer, Termination, WorkerInfo
from protocol.errors import MemJitError

log = logging.getLogger(__name__)

#: Most workers a sweep asks about on-chain: it runs after every round and must stay cheap.
SWEEP_LIMIT = 8


def suspects(active: Sequence[WorkerInfo], params: OracleParams) -> list[WorkerInfo]:
    """The workers of one capability that may qualify for termination, most likely first: a
    superset of what the contract's ``terminable`` accepts (the 3σ test itself is left to
    it), so a worker that qualifies is never missed."""
    scored = [w.usefulness for w in active if w.rounds_scored]
    live = len(scored) >= params.min_population
    mean = sum(scored) / len(scored) if scored else 0.0
    found = [
        w
        for w in active
        if w.strikes >= params.strike_limit
        or (live and w.rounds_scored and mean - w.usefulness > 3 * MIN_SIGMA)
    ]
    return sorted(found, key=lambda w: (-w.strikes, w.usefulness))


def sweep(
    contracts: MemJitContracts, operator: Signer, active: Sequence[WorkerInfo]
) -> list[bytes]:
    """Terminates the workers among ``active`` (one capability's) that qualify, up to
    :data:`SWEEP_LIMIT` checked; returns their ids. A failure is logged and ends the sweep:
    it never fails the request it follows."""
    terminated: list[bytes] = []
    if not any(w.strikes or w.rounds_scored for w in active):
        return terminated
    try:
        candidates = suspects(active, contracts.rounds.params())
        for worker in candidates[:SWEEP_LIMIT]:
            if contracts.rounds.terminable(worker.id) == Termination.NONE:
                continue
            bounty, _tx = contracts.rounds.terminate(operator, worker.id)
            log.info("terminated worker 0x%s for a bounty of %d wei", worker.id.hex(), bounty)
            terminated.append(worker.id)
    except MemJitError as exc:
        log.warning("the termination sweep stopped: %s", exc)
    return terminated
