"""Peer reputation: smoothed uptime and reliability, halving for misbehaviour, a bounded
bandwidth bonus, and a half-life that lets the past fade."""

from __future__ import annotations

import pytest

from protocol.swarm.reputation import MAX_BANDWIDTH_BONUS, Reputation


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def rep(clock: Clock) -> Reputation:
    return Reputation(half_life_s=100.0, clock=clock)


def test_an_unknown_peer_starts_in_the_middle(rep: Reputation) -> None:
    assert rep.score("new") == pytest.approx(0.25)  # uptime 1/2 × reliability 1/2


def test_answering_and_delivering_beats_failing(rep: Reputation) -> None:
    for _ in range(8):
        rep.liveness("good", answered=True)
        rep.outcome("good", succeeded=True)
        rep.liveness("flaky", answered=False)
        rep.outcome("flaky", succeeded=False)
    assert rep.score("good") == pytest.approx((9 / 10) ** 2)
    assert rep.score("flaky") == pytest.approx((1 / 10) ** 2)
    assert rep.rank(["flaky", "new", "good"]) == ["good", "new", "flaky"]


def test_each_misbehaviour_halves_the_score(rep: Reputation) -> None:
    before = rep.score("liar")
    rep.misbehaved("liar")
    assert rep.score("liar") == pytest.approx(before / 2)
    rep.misbehaved("liar")
    assert rep.score("liar") == pytest.approx(before / 4)


def test_the_past_fades_with_the_half_life(rep: Reputation, clock: Clock) -> None:
    rep.misbehaved("liar")
    for _ in range(6):
        rep.outcome("liar", succeeded=False)
    low = rep.score("liar")
    clock.now += 100.0  # one half-life: every counter halves
    record = rep.peers["liar"]
    assert rep.score("liar") > low
    assert (record.misbehaviour, record.attempts) == pytest.approx((0.5, 3.0))
    clock.now += 100.0 * 30  # long enough: back to an unknown peer's score
    assert rep.score("liar") == pytest.approx(0.25, rel=1e-6)


def test_bandwidth_helps_but_is_bounded(rep: Reputation) -> None:
    rep.served("seeder", 10**12)
    assert 0.25 < rep.score("seeder") <= 0.25 * (1 + MAX_BANDWIDTH_BONUS)
    rep.served("seeder", 10**12)
    rep.misbehaved("seeder")
    rep.outcome("honest", succeeded=True)
    assert rep.rank(["seeder", "honest"]) == ["honest", "seeder"]  # cannot buy past a bad record


def test_ties_keep_the_given_order(rep: Reputation) -> None:
    assert rep.rank(["c", "a", "b"]) == ["c", "a", "b"]


def test_nonsense_is_refused(clock: Clock) -> None:
    with pytest.raises(ValueError, match="half-life"):
        Reputation(half_life_s=0, clock=clock)
    with pytest.raises(ValueError, match="negative"):
        Reputation(clock=clock).served("p", -1)


def test_forgetting_a_peer_resets_it(rep: Reputation) -> None:
    rep.misbehaved("p")
    rep.forget("p")
    assert rep.score("p") == pytest.approx(0.25)
