"""The Python reference formulas the contract is checked against."""

from __future__ import annotations

import math
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oracle.economics import MIN_POPULATION_FLOOR, is_outlier, reward, usefulness_after


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


def test_usefulness_first_score_is_taken_as_is_then_averaged():
    assert usefulness_after(None, 90) == 9000
    assert usefulness_after(9000, 10) == (9000 * 3 + 1000) // 4


@given(st.lists(st.integers(0, 10_000), min_size=MIN_POPULATION_FLOOR, max_size=60), st.data())
def test_outlier_rule_agrees_with_floating_point_statistics(population, data):
    value = data.draw(st.sampled_from(population))
    mean = statistics.fmean(population)
    sigma = statistics.pstdev(population)
    expected = value < mean - 3 * sigma
    # Exact integer arithmetic may differ from floats only within rounding of the boundary.
    if not math.isclose(mean - value, 3 * sigma, rel_tol=1e-9, abs_tol=1e-9):
        assert is_outlier(value, population, MIN_POPULATION_FLOOR) == expected


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
