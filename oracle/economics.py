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

#: The newest round weighs 1/USEFULNESS_WINDOW in a worker's usefulness score.
USEFULNESS_WINDOW = 4


def reward(base_rate: int, score: int, idle_s: int) -> int:
    """``base_rate × score / (1 + idle hours / 24)``, rounded down.

    With hours measured to the second this is exactly
    ``base_rate × score × 86400 // (86400 + idle_s)``.
    """
    if not 0 <= score <= 100:
        raise ValueError(f"score must be 0-100, got {score}")
    if idle_s < 0:
        raise ValueError(f"idle time must be >= 0, got {idle_s}")
    return base_rate * score * SECONDS_PER_DAY // (SECONDS_PER_DAY + idle_s)


def usefulness_after(previous: int | None, score: int) -> int:
    """A worker's usefulness (hundredths of a point, 0-10000) after a round scoring ``score``.

    ``previous`` is ``None`` for a worker's first scored round.
    """
    scaled = score * 100
    if previous is None:
        return scaled
    return (previous * (USEFULNESS_WINDOW - 1) + scaled) // USEFULNESS_WINDOW


def is_outlier(value: int, population: list[int], min_population: int) -> bool:
    """True if ``value`` lies more than 3 population standard deviations below the mean of
    ``population`` (which includes it), and the population has ``min_population`` members.

    Integer arithmetic only: ``(sum - n·v)² > 9 (n·Σx² - (Σx)²)`` with ``n·v < sum``.
    """
    n = len(population)
    if n < min_population:
        return False
    total = sum(population)
    squares = sum(x * x for x in population)
    gap = total - n * value
    if gap <= 0:
        return False
    return gap * gap > 9 * (n * squares - total * total)
