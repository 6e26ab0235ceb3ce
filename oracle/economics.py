"""Reference formulas of the on-chain economics, in exact integer arithmetic.

The UtilityOracle computes these on-chain; the engine uses these functions to predict what a
round pays, and the tests check the contract against them value for value.
"""

from __future__ import annotations

SECONDS_PER_DAY = 86_400

#: Below this many scored workers no single score can lie 3 standard deviations under the
#: mean: by Samuelson's inequality a point is at most sqrt(n - 1) population standard
#: deviations from the mean, and sqrt(n - 1) > 3 needs n >= 11.
MIN_POPULATION_FLOOR = 11

#: Rounds a usefulness score averages over, at most (the registry's USEFULNESS_WINDOW).
USEFULNESS_WINDOW = 16

#: Pseudo-rounds the prior, the population's mean, counts for (the registry's PRIOR_ROUNDS).
PRIOR_ROUNDS = 1

#: The least standard deviation the 3-sigma rule assumes (the oracle's MIN_SIGMA), in
#: hundredths of a point: termination by the rule always needs a gap of 15 points.
MIN_SIGMA = 500


def reward(base_rate: int, score: int, idle_s: int) -> int:
    """``base_rate × score / (1 + idle hours / 24)``, rounded down, where idle is the time
    since the capability's previous round.

    With hours measured to the second this is exactly
    ``base_rate × score × 86400 // (86400 + idle_s)``.
    """
    if not 0 <= score <= 100:
        raise ValueError(f"score must be 0-100, got {score}")
    if idle_s < 0:
        raise ValueError(f"idle time must be >= 0, got {idle_s}")
    return base_rate * score * SECONDS_PER_DAY // (SECONDS_PER_DAY + idle_s)


def prior(population: list[int], score: int) -> int:
    """A newcomer's usefulness before its first round, scoring ``score``: its capability's mean
    (rounded down), or its own score when nobody is scored yet (no population to shrink
    toward)."""
    return sum(population) // len(population) if population else score * 100


def usefulness_after(previous: int, rounds: int, score: int) -> int:
    """A worker's usefulness (hundredths of a point, 0-10000) after a round scoring ``score``,
    from ``previous`` over ``rounds`` scored rounds (for a newcomer, ``previous`` is its
    :func:`prior` and ``rounds`` 0): ``previous + (score·100 − previous) / d`` with
    ``d = min(rounds + 1 + PRIOR_ROUNDS, USEFULNESS_WINDOW)``, rounded toward ``previous``.
    Until the window fills it is the plain mean of the prior and every score."""
    scaled = score * 100
    d = min(rounds + 1 + PRIOR_ROUNDS, USEFULNESS_WINDOW)
    if scaled >= previous:
        return previous + (scaled - previous) // d
    return previous - (previous - scaled) // d


def is_outlier(value: int, population: list[int], min_population: int) -> bool:
    """True if ``value`` lies more than 3 population standard deviations, and more than
    3 × :data:`MIN_SIGMA`, below the mean of ``population`` (which includes it), and the
    population has ``min_population`` members.

    Integer arithmetic only: ``(sum − n·v)² > 9·max(n·Σx² − (Σx)², n²·MIN_SIGMA²)``.
    """
    n = len(population)
    if n < min_population:
        return False
    total = sum(population)
    squares = sum(x * x for x in population)
    gap = total - n * value
    if gap <= 0:
        return False
    return gap * gap > 9 * max(n * squares - total * total, n * n * MIN_SIGMA * MIN_SIGMA)
