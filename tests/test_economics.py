"""The Python reference formulas the contract is checked against."""

from __future__ import annotations

import math
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oracle.economics import (
    MIN_POPULATION_FLOOR,
    MIN_SIGMA,
    USEFULNESS_WINDOW,
    is_outlier,
    prior,
    reward,
    usefulness_after,
)


def test_reward_is_base_rate_times_score_when_just_used():
    assert reward(10**17, 100, 0) == 10**19


def test_reward_halves_after_one_idle_day():
    assert reward(10**17, 80, 86_400) == 10**17 * 80 // 2


def test_reward_rejects_scores_outside_0_to_100():
    with pytest.raises(ValueError, match="0-100"):
        reward(1, 101, 0)


@given(st.integers(0, 10**24), st.integers(0, 100), st.integers(0, 10**9))
def test_reward_matches_the_real_formula_to_one_wei(base_rate, score, idle_s):
    exact = base_rate * score / (1 + (idle_s / 3600) / 24)
    assert abs(reward(base_rate, score, idle_s) - exact) <= 1 + exact * 1e-12


def test_the_prior_is_the_capabilitys_mean_rounded_down_or_the_first_score():
    assert prior([], 90) == 9_000  # nobody to shrink toward
    assert prior([7_000, 5_500], 90) == 6_250
    assert prior([1, 2], 0) == 1


def test_a_first_score_is_averaged_with_the_prior():
    assert usefulness_after(5_000, 0, 90) == 7_000
    assert usefulness_after(8_000, 0, 0) == 4_000
    # then with every later score, the prior counting as one round
    assert usefulness_after(7_000, 1, 60) == 7_000 - 1_000 // 3


def test_usefulness_rounds_toward_the_previous_value():
    assert usefulness_after(5_001, 0, 50) == 5_001
    assert usefulness_after(4_999, 0, 50) == 4_999
    assert usefulness_after(5_003, 0, 50) == 5_002


@given(st.integers(0, 10_000), st.lists(st.integers(0, 100), min_size=1, max_size=40))
def test_usefulness_is_the_mean_of_the_prior_and_the_scores_then_a_moving_average(start, scores):
    u = start
    for rounds, score in enumerate(scores):
        previous, u = u, usefulness_after(u, rounds, score)
        assert min(previous, score * 100) <= u <= max(previous, score * 100)
        if rounds + 2 <= USEFULNESS_WINDOW:
            # the plain mean of the prior and every score, up to one unit of rounding a round
            mean = (start + sum(s * 100 for s in scores[: rounds + 1])) / (rounds + 2)
            assert abs(u - mean) < rounds + 1
        else:
            assert abs(u - (previous + (score * 100 - previous) / USEFULNESS_WINDOW)) < 1


@given(st.lists(st.integers(0, 10_000), min_size=MIN_POPULATION_FLOOR, max_size=60), st.data())
def test_outlier_rule_agrees_with_floating_point_statistics(population, data):
    value = data.draw(st.sampled_from(population))
    mean = statistics.fmean(population)
    sigma = max(statistics.pstdev(population), MIN_SIGMA)
    expected = value < mean - 3 * sigma
    # Exact integer arithmetic may differ from floats only within rounding of the boundary.
    if not math.isclose(mean - value, 3 * sigma, rel_tol=1e-9, abs_tol=1e-9):
        assert is_outlier(value, population, MIN_POPULATION_FLOOR) == expected


@pytest.mark.parametrize("min_population", [MIN_POPULATION_FLOOR, 16])
def test_a_degenerate_population_terminates_only_fifteen_points_below(min_population):
    alike = [10_000] * 15
    # Six points below fifteen identical workers is many of their (tiny) sigmas, ...
    near = [*alike, 9_400]
    gap = sum(near) - len(near) * 9_400
    spread = len(near) * sum(x * x for x in near) - sum(near) ** 2
    assert gap * gap > 9 * spread
    # ... but not three times the least sigma: not an outlier. Far below, it is.
    assert not is_outlier(9_400, near, min_population)
    assert is_outlier(2_000, [*alike, 2_000], min_population)
    # Fifteen identical values and one v: mean - v = 15/16 (mean' - v), so the line lies
    # at 16 points under the others: 3400 stays, 3399 goes.
    assert not is_outlier(3_400, [5_000] * 15 + [3_400], min_population)
    assert is_outlier(3_399, [5_000] * 15 + [3_399], min_population)


def test_no_outlier_possible_below_eleven_workers():
    # Samuelson: the most extreme population of 10 still has no 3-sigma outlier.
    population = [10_000] * 9 + [0]
    assert not is_outlier(0, population, min_population=1)
    population = [10_000] * 10 + [0]
    assert is_outlier(0, population, min_population=1)


def test_outlier_rule_waits_for_the_minimum_population():
    population = [9_000] * 15 + [0]
    assert is_outlier(0, population, 16)
    assert not is_outlier(0, population, 17)
