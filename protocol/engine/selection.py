"""Which workers play a round: the best by usefulness, with room for a newcomer.

Scored workers are ranked by their on-chain usefulness (an exponential moving average of
round scores). One slot is kept for an active worker that has never been scored (exploration,
or "immunity" in the whitepaper's terms): without it a newcomer could never earn the score it
needs to be chosen. Among newcomers the longest-waiting goes first, so none is starved.
"""

from __future__ import annotations

from collections.abc import Sequence

from protocol.chain.types import WorkerInfo, WorkerStatus


def select_workers(
    candidates: Sequence[WorkerInfo], slots: int, exploration_slots: int = 1
) -> list[WorkerInfo]:
    """Up to ``slots`` active workers, scored ones best first, then newcomers."""
    active = [w for w in candidates if w.status == WorkerStatus.ACTIVE]
    scored = sorted(
        (w for w in active if w.rounds_scored), key=lambda w: (-w.usefulness, w.last_used, w.id)
    )
    fresh = sorted((w for w in active if not w.rounds_scored), key=lambda w: (w.last_used, w.id))
    explore = min(exploration_slots, len(fresh))
    picked = scored[: slots - explore]
    # Newcomers fill the exploration slots, and any slot the scored workers leave empty.
    picked += fresh[: slots - len(picked)]
    return picked
