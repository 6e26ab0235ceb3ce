"""Strikes, the 3-sigma rule with its floor on sigma, permissionless termination with a bounty,
the newcomer's prior, idle decay on the capability's clock and the round's seed window, on
the embedded chain and on anvil.

Two deployments: the conftest's `world` (the real UtilityOracle settling rounds, closed with
the TEST-ONLY HashCheckVerifier as in test_oracle.py), and a `ledger` whose registry takes
scores straight from a plain account, with a UtilityOracle reading it whose views
(isOutlier, terminable) judge whatever population a test records.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import astuple, dataclass, replace

import pytest

from oracle.economics import is_outlier, reward
from protocol.chain import (
    MemJitContracts,
    RoundCommitments,
    TxResult,
    WorkerStatus,
    block_time,
    latest_block,
    seed_block,
)
from protocol.chain.connection import Chain, advance_time
from protocol.chain.events import RoundOpened, ScoreRecorded, WorkerEliminated, of_type
from protocol.chain.rounds import ClosedRound
from protocol.chain.signers import Signer, devnet_signer
from protocol.chain.types import Termination
from protocol.errors import ContractReverted
from tests.conftest import TEST_CONFIG, World
from tests.helpers import (
    SWT,
    UsefulnessBook,
    deploy_recorded_registry,
    fake_proof,
    revert,
    snapshot,
)

CAP = "digits-8x8"
OTHER = "sentiment"
COMMITTED = RoundCommitments(111, 222, 333)
STAKE = 200 * SWT
FLOOR = TEST_CONFIG.score_floor
STRIKE_LIMIT = TEST_CONFIG.strike_limit


def slash_of(stake: int, bps: int) -> int:
    return stake * bps // 10_000


# -- rounds through the real oracle -----------------------------------------------------------


def register(world: World, count: int, capability: str = CAP, tag: str = "w") -> list[bytes]:
    """``count`` workers of ``capability``, owned by owners[0..7]: owners[8] stays a stranger."""
    ids = []
    for i in range(count):
        owner = world.owners[i % 8]
        wid, _ = world.mj.registry.register(owner, f"bafkrei-{tag}-{i}", STAKE, capability)
        ids.append(wid)
    return ids


def play(
    world: World, ids: Sequence[bytes], scores: Sequence[int], book: UsefulnessBook | None = None
) -> ClosedRound:
    """Opens and closes a round of ``ids`` scoring ``scores``, recording them in ``book``."""
    rounds = world.mj.rounds
    round_id = rounds.open(world.admin, ids, COMMITTED.request, COMMITTED.evaluation).round_id
    proof = fake_proof(rounds.public_signals(round_id, COMMITTED, 0, list(scores)))
    closed = rounds.close(world.admin, round_id, ids, COMMITTED, 0, scores, proof, gas=None)
    if book is not None:
        capability = world.mj.registry.worker(ids[0]).capability
        for wid, score in zip(ids, scores, strict=True):
            book.record(capability, wid, score)
    return closed


def balances(world: World, *accounts: str) -> list[int]:
    return [world.mj.token.balance_of(a) for a in accounts]


def test_the_close_terminates_a_worker_at_its_third_strike(world: World) -> None:
    mj, admin = world.mj, world.admin
    treasury = world.owners[7].address  # owns no worker here: its balance moves only by this
    mj.rounds.set_params(admin, replace(mj.rounds.params(), treasury=treasury))
    good, bad = register(world, 2)
    stake = STAKE
    for strike in range(1, STRIKE_LIMIT):
        play(world, [good, bad], [90, FLOOR - 1])
        stake -= slash_of(stake, TEST_CONFIG.slash_bps)
        info = mj.registry.worker(bad)
        assert (info.strikes, info.status, info.stake) == (strike, WorkerStatus.ACTIVE, stake)
        assert mj.rounds.terminable(bad) == Termination.NONE

    floor_slash = slash_of(stake, TEST_CONFIG.slash_bps)
    stake -= floor_slash
    slashed = slash_of(stake, TEST_CONFIG.termination_bps)
    accounts = (admin.address, treasury, mj.registry.address, world.owners[0].address)
    before = balances(world, *accounts)
    supply = mj.token.total_supply()
    closed = play(world, [good, bad], [90, FLOOR - 1])
    assert closed.settlement.terminated == {bad}
    # The settlement counts both slashes: the floor's and the termination's.
    assert closed.settlement.slashed[bad] == floor_slash + slashed
    (event,) = of_type(mj.event_log.decode_receipt(closed.tx.receipt), WorkerEliminated)
    assert (event.round_id, event.worker_id, event.by, event.reason) == (
        mj.rounds.last_id(),
        bad,
        admin.address,
        Termination.STRIKES,
    )
    assert (event.slashed, event.bounty) == (slashed, slashed // 2)
    after = balances(world, *accounts)
    # The closer takes the bounty, the treasury the rest; the floor's slash goes to the
    # winner (owners[0]), whose reward is the only new money: nothing lost, nothing made.
    minted = closed.settlement.rewards[good]
    assert [a - b for a, b in zip(after, before, strict=True)] == [
        slashed // 2,
        slashed - slashed // 2,
        -floor_slash - slashed,
        floor_slash + minted,
    ]
    assert mj.token.total_supply() - supply == minted == sum(after) - sum(before)
    info = mj.registry.worker(bad)
    assert (info.status, info.stake, info.strikes) == (
        WorkerStatus.TERMINATED,
        stake - slashed,
        STRIKE_LIMIT,
    )
    assert mj.registry.capability_worker_ids(CAP) == [good]
    with pytest.raises(ContractReverted) as err:
        mj.rounds.open(admin, [good, bad], 1, 2)
    assert (err.value.name, err.value.error_args["status"]) == (
        "UtilityOracleWorkerNotActive",
        "Terminated",
    )


def test_a_pass_takes_one_strike_away_and_a_lucky_round_saves_no_one(world: World) -> None:
    mj = world.mj
    good, lucky, unlucky = register(world, 3)
    # (lucky's score, its strikes): a round at or above the floor takes one strike away.
    for lucky_score, strikes in [(0, 1), (FLOOR - 1, 2), (FLOOR, 1), (5, 2), (95, 1)]:
        closed = play(world, [good, lucky, unlucky], [90, lucky_score, 90])
        assert mj.registry.worker(lucky).strikes == strikes
        assert closed.settlement.terminated == frozenset()
    # A worker failing every other round still fails more than it passes: it goes.
    play(world, [good, lucky, unlucky], [90, 0, 90])
    closed = play(world, [good, lucky, unlucky], [90, 0, 0])
    assert closed.settlement.terminated == {lucky}
    assert mj.registry.worker(lucky).status == WorkerStatus.TERMINATED
    # One unlucky round fades: the other's strike is gone after a pass.
    assert mj.registry.worker(unlucky).strikes == 1
    play(world, [good, unlucky], [90, 90])
    assert mj.registry.worker(unlucky).strikes == 0


def outlier_population(world: World) -> tuple[list[bytes], UsefulnessBook]:
    """Sixteen workers; the first scored 0 in the capability's first round, when five
    workers could not judge it, and is an outlier once the other eleven have played."""
    ids = register(world, 16)
    book = UsefulnessBook()
    play(world, ids[:5], [0, 90, 90, 90, 90], book)
    for chunk in (ids[5:10], ids[10:15], ids[15:]):
        play(world, chunk, [90] * len(chunk), book)
    population = book.population(CAP)
    assert is_outlier(book.usefulness(CAP, ids[0]), population, TEST_CONFIG.min_population)
    return ids, book


def test_a_stranger_terminates_an_outlier_for_half_of_the_slash(world: World) -> None:
    mj, stranger = world.mj, world.owners[8]
    treasury = mj.rounds.params().treasury
    assert treasury not in (stranger.address, mj.registry.address)
    ids, book = outlier_population(world)
    outlier = ids[0]
    # Its own round could not terminate it: the population was five strong.
    info = mj.registry.worker(outlier)
    assert (info.status, info.strikes) == (WorkerStatus.ACTIVE, 1)
    assert mj.rounds.terminable(outlier) == Termination.OUTLIER

    stake = info.stake
    slashed = slash_of(stake, TEST_CONFIG.termination_bps)
    bounty = slashed // 2
    before = balances(world, stranger.address, treasury, mj.registry.address)
    supply = mj.token.total_supply()
    paid, tx = mj.rounds.terminate(stranger, outlier)
    assert paid == bounty > 0
    after = balances(world, stranger.address, treasury, mj.registry.address)
    assert [a - b for a, b in zip(after, before, strict=True)] == [
        bounty,
        slashed - bounty,
        -slashed,
    ]
    assert mj.token.total_supply() == supply  # moved, not minted or burnt
    (event,) = of_type(mj.event_log.decode_receipt(tx.receipt), WorkerEliminated)
    assert (event.round_id, event.worker_id, event.by, event.reason) == (
        0,
        outlier,
        stranger.address,
        Termination.OUTLIER,
    )
    assert (event.usefulness, event.slashed, event.bounty) == (info.usefulness, slashed, bounty)

    info = mj.registry.worker(outlier)
    terminated_at = block_time(world.chain, tx.block_number)
    assert (info.status, info.stake, info.unbonds_at) == (
        WorkerStatus.TERMINATED,
        stake - slashed,
        terminated_at + TEST_CONFIG.unbonding_delay_s,
    )
    assert sorted(mj.registry.capability_worker_ids(CAP)) == sorted(ids[1:])
    book.leave(CAP, outlier)
    assert astuple(mj.registry.population_stats(CAP)) == book.stats(CAP)
    assert mj.registry.total_staked() == mj.token.balance_of(mj.registry.address)

    # Once is all: a second call reverts and pays nothing.
    assert mj.rounds.terminable(outlier) == Termination.NONE
    with pytest.raises(ContractReverted) as err:
        mj.rounds.terminate(stranger, outlier)
    assert (err.value.name, err.value.error_args) == (
        "UtilityOracleNotTerminable",
        {"id": outlier, "status": "Terminated"},
    )
    assert balances(world, stranger.address, treasury, mj.registry.address) == after


def test_terminate_refuses_a_worker_that_does_not_qualify_and_pays_nothing(world: World) -> None:
    mj, stranger = world.mj, world.owners[8]
    treasury = mj.rounds.params().treasury
    ids = register(world, 3)
    play(world, ids, [90, 10, 50])
    mj.registry.exit(world.owners[2], ids[2])
    before = balances(world, stranger.address, treasury, mj.registry.address)
    supply = mj.token.total_supply()
    for wid, status in [(ids[1], "Active"), (ids[2], "Exiting"), (b"\x07" * 32, "None")]:
        assert mj.rounds.terminable(wid) == Termination.NONE
        with pytest.raises(ContractReverted) as err:
            mj.rounds.terminate(stranger, wid)
        assert (err.value.name, err.value.error_args) == (
            "UtilityOracleNotTerminable",
            {"id": wid, "status": status},
        )
    assert balances(world, stranger.address, treasury, mj.registry.address) == before
    assert mj.token.total_supply() == supply
    assert mj.registry.worker(ids[1]).status == WorkerStatus.ACTIVE
    assert ids[1] in mj.registry.capability_worker_ids(CAP)


# -- idle decay on the capability's clock ------------------------------------------------------


def test_a_fresh_identity_earns_what_an_incumbent_earns(world: World) -> None:
    mj = world.mj
    base = TEST_CONFIG.base_rate_wei
    incumbent, other = register(world, 2)
    (elsewhere,) = register(world, 1, OTHER, tag="other")
    advance_time(world.chain, 86_400)  # idle workers, but the capability has no round yet
    first = play(world, [incumbent, other], [80, 70])
    first_at = block_time(world.chain, first.tx.block_number)
    assert first.settlement.rewards[incumbent] == reward(base, 80, 0)
    assert mj.rounds.last_round_at(CAP) == first_at

    # Another capability's round runs its own clock.
    advance_time(world.chain, 86_400)
    play(world, [elsewhere], [60])
    assert mj.rounds.last_round_at(CAP) == first_at
    assert mj.rounds.last_round_at(OTHER) > first_at

    advance_time(world.chain, 86_400)
    (newcomer,) = register(world, 1, tag="fresh")  # just before the round
    second = play(world, [incumbent, newcomer], [80, 80])
    idle_s = block_time(world.chain, second.tx.block_number) - first_at
    assert idle_s >= 2 * 86_400
    paid = second.settlement.rewards
    assert paid[newcomer] == paid[incumbent] == reward(base, 80, idle_s)
    assert paid[newcomer] == mj.rounds.reward_for(80, idle_s) < reward(base, 80, 0) // 2


# -- the round's seed and capability -------------------------------------------------------------


def mine(chain: Chain, blocks: int) -> None:
    for _ in range(blocks):
        advance_time(chain, 1)


def opened_seed(world: World, tx: TxResult) -> int:
    (event,) = of_type(world.mj.event_log.decode_receipt(tx.receipt), RoundOpened)
    return event.seed_block


def test_a_round_is_seeded_by_one_of_the_sixteen_blocks_before_it(world: World) -> None:
    mj, admin = world.mj, world.admin
    ids = register(world, 2)
    mine(world.chain, 20)
    # By default: the block before the latest, never the block the opening lands in.
    expected = seed_block(world.chain).number
    opened = mj.rounds.open(admin, ids, 1, 2)
    assert opened_seed(world, opened.tx) == expected < opened.tx.block_number
    # The oldest allowed: sixteen blocks before the opening's own.
    oldest = latest_block(world.chain).number + 1 - 16
    opened = mj.rounds.open(admin, ids, 1, 2, seed_block=oldest)
    assert opened.tx.block_number - opened_seed(world, opened.tx) == 16
    latest = latest_block(world.chain).number
    for seed in (latest - 17, latest + 1, latest + 100):
        with pytest.raises(ContractReverted) as err:
            mj.rounds.open(admin, ids, 1, 2, seed_block=seed)
        assert err.value.name == "UtilityOracleStaleSeed"
        assert err.value.error_args["seedBlock"] == seed
        block_number = err.value.error_args["blockNumber"]
        assert seed >= block_number or block_number - seed > 16
    assert mj.rounds.last_id() == 2


def test_a_round_of_mixed_capabilities_is_refused(world: World) -> None:
    (first,) = register(world, 1)
    (elsewhere,) = register(world, 1, OTHER, tag="other")
    (second,) = register(world, 1, tag="late")
    for ids, odd in [([first, elsewhere], elsewhere), ([elsewhere, second], second)]:
        with pytest.raises(ContractReverted) as err:
            world.mj.rounds.open(world.admin, ids, 1, 2)
        assert (err.value.name, err.value.error_args) == (
            "UtilityOracleMixedCapabilities",
            {"id": odd},
        )
    world.mj.rounds.open(world.admin, [first, second], 1, 2)


# -- the registry and the oracle's views, over recorded scores ------------------------------------


@dataclass(frozen=True)
class Ledger:
    chain: Chain
    mj: MemJitContracts
    admin: Signer
    #: The registry's oracle: records scores directly.
    recorder: Signer
    owners: tuple[Signer, ...]


@pytest.fixture(scope="module")
def module_ledger(module_chain: Chain) -> Ledger:
    chain = module_chain
    admin, recorder = devnet_signer(chain, 0), devnet_signer(chain, 9)
    mj = deploy_recorded_registry(
        chain,
        admin,
        recorder,
        TEST_CONFIG.min_stake_wei,
        TEST_CONFIG.unbonding_delay_s,
        reader=TEST_CONFIG.oracle_params(admin.address, 5),
    )
    owners = tuple(devnet_signer(chain, i) for i in range(1, 9))
    for owner in owners:
        mj.token.faucet(owner, 10_000 * SWT)
    return Ledger(chain, mj, admin, recorder, owners)


@pytest.fixture
def ledger(module_ledger: Ledger) -> Iterator[Ledger]:
    snap = snapshot(module_ledger.chain)
    yield module_ledger
    revert(module_ledger.chain, snap)


def enlist(ledger: Ledger, count: int, capability: str = CAP, tag: str = "l") -> list[bytes]:
    ids = []
    for i in range(count):
        owner = ledger.owners[i % len(ledger.owners)]
        cid = f"bafkrei-{tag}-{capability}-{i}"
        ids.append(ledger.mj.registry.register(owner, cid, 100 * SWT, capability)[0])
    return ids


def score(
    ledger: Ledger, wid: bytes, value: int, duplicate: bool = False, floor: int = FLOOR
) -> ScoreRecorded:
    tx = ledger.mj.registry.record_score(ledger.recorder, wid, value, duplicate, floor)
    (event,) = of_type(ledger.mj.event_log.decode_receipt(tx.receipt), ScoreRecorded)
    return event


def test_strikes_count_rounds_under_the_floor_less_the_rounds_at_or_above(ledger: Ledger) -> None:
    (wid,) = enlist(ledger, 1)
    # (score, duplicate, floor) -> (strikes, rounds scored): a duplicate round's answers are
    # the worker's own too, so it strikes (and takes a strike away) like any other.
    for args, expected in [
        ((10, False, FLOOR), (1, 1)),
        ((FLOOR - 1, True, FLOOR), (2, 1)),
        ((0, False, FLOOR), (3, 2)),
        ((FLOOR, False, FLOOR), (2, 3)),
        ((0, False, FLOOR), (3, 4)),
        ((90, True, FLOOR), (2, 4)),
        ((5, False, 0), (1, 5)),  # no floor: a pass
        ((50, False, FLOOR), (0, 6)),
        ((50, False, FLOOR), (0, 7)),  # never below zero
    ]:
        event = score(ledger, wid, *args)
        assert (event.strikes, event.rounds_scored) == expected
        info = ledger.mj.registry.worker(wid)
        assert (info.strikes, info.rounds_scored, info.usefulness) == (
            *expected,
            event.usefulness,
        )


def population_of(ledger: Ledger, count: int, value: int, tag: str = "p") -> list[bytes]:
    """``count`` workers scored once ``value``: the first from its own score, the others from
    the mean, so with 50s they all stand at exactly 5000, a degenerate population."""
    ids = enlist(ledger, count, tag=tag)
    for wid in ids:
        score(ledger, wid, value)
    return ids


def test_terminable_names_the_reason(ledger: Ledger) -> None:
    rounds, registry = ledger.mj.rounds, ledger.mj.registry
    alike = population_of(ledger, 15, 50)
    low, copier, unscored = enlist(ledger, 3, tag="x")
    assert score(ledger, low, 0).usefulness == 2_500
    for _ in range(STRIKE_LIMIT):
        score(ledger, copier, 0, duplicate=True)
    assert astuple(registry.population_stats(CAP)) == (
        16,
        15 * 5_000 + 2_500,
        15 * 5_000**2 + 2_500**2,
    )
    assert rounds.is_outlier(CAP, 0)  # what an unscored worker's zero would be

    assert rounds.terminable(alike[0]) == Termination.NONE
    assert rounds.terminable(low) == Termination.OUTLIER
    # A copier never scored on its own is no outlier, but its strikes are its own.
    assert registry.worker(copier).rounds_scored == 0
    assert rounds.terminable(copier) == Termination.STRIKES
    assert rounds.terminable(unscored) == Termination.NONE  # usefulness 0, but never scored
    for _ in range(STRIKE_LIMIT - 1):
        score(ledger, low, 0)
    assert rounds.terminable(low) == Termination.STRIKES  # both: strikes come first
    registry.exit(ledger.owners[0], alike[0])
    assert rounds.terminable(alike[0]) == Termination.NONE
    assert rounds.terminable(b"\x09" * 32) == Termination.NONE


@pytest.mark.parametrize(
    "min_population,last_score,usefulness,outlier",
    [
        (16, 38, 4_400, False),  # six points under fifteen alike: many of their sigmas
        (11, 38, 4_400, False),
        (16, 18, 3_400, False),  # 15 points under the mean with it: the line
        (16, 17, 3_350, True),
        (16, 0, 2_500, True),
        (17, 0, 2_500, False),  # too few to judge
    ],
)
def test_a_degenerate_population_terminates_only_far_below_it(
    ledger: Ledger, min_population: int, last_score: int, usefulness: int, outlier: bool
) -> None:
    rounds = ledger.mj.rounds
    rounds.set_params(ledger.admin, replace(rounds.params(), min_population=min_population))
    population_of(ledger, 15, 50)
    (last,) = enlist(ledger, 1, tag="last")
    assert score(ledger, last, last_score).usefulness == usefulness
    n, total, squares = astuple(ledger.mj.registry.population_stats(CAP))
    assert (n, total) == (16, 15 * 5_000 + usefulness)
    # The plain 3-sigma rule would terminate any worker under a population this alike.
    gap = total - n * usefulness
    assert gap * gap > 9 * (n * squares - total * total)
    expected = Termination.OUTLIER if outlier else Termination.NONE
    assert rounds.is_outlier(CAP, usefulness) is outlier
    assert is_outlier(usefulness, [5_000] * 15 + [usefulness], min_population) is outlier
    assert rounds.terminable(last) == expected


def test_a_newcomer_starts_from_its_capabilitys_mean_and_capabilities_do_not_mix(
    ledger: Ledger,
) -> None:
    registry = ledger.mj.registry
    first, second, copier, newcomer = enlist(ledger, 4)
    (elsewhere,) = enlist(ledger, 1, OTHER)
    # the capability's first scored worker has nobody to be shrunk toward
    assert score(ledger, first, 90).usefulness == 9_000
    assert score(ledger, second, 60).usefulness == 9_000 - (9_000 - 6_000) // 2 == 7_500
    # A duplicate round leaves a newcomer out of the population, its usefulness unset.
    assert score(ledger, copier, 100, duplicate=True).usefulness == 0
    assert astuple(registry.population_stats(CAP)) == (2, 16_500, 9_000**2 + 7_500**2)

    prior = 16_500 // 2
    assert score(ledger, newcomer, 100).usefulness == prior + (10_000 - prior) // 2 == 9_125
    # Another capability's first worker starts from its own score, in its own population.
    assert score(ledger, elsewhere, 70).usefulness == 7_000
    assert astuple(registry.population_stats(OTHER)) == (1, 7_000, 7_000**2)
    assert astuple(registry.population_stats(CAP)) == (3, 25_625, 9_000**2 + 7_500**2 + 9_125**2)
    # A worker that leaves takes its usefulness out of the next prior.
    registry.exit(ledger.owners[3], newcomer)
    assert score(ledger, copier, 30).usefulness == prior - (prior - 3_000) // 2 == 5_625


def test_the_python_mirror_matches_the_contracts_on_random_scores(ledger: Ledger) -> None:
    """oracle.economics' prior, usefulness_after and is_outlier against the registry's
    recordScore and the oracle's isOutlier, value for value, over a few hundred scores."""
    rng = random.Random(20_261)
    rounds, registry = ledger.mj.rounds, ledger.mj.registry
    rounds.set_params(ledger.admin, replace(rounds.params(), min_population=11))
    workers = [(CAP, wid) for wid in enlist(ledger, 13)] + [
        (OTHER, wid) for wid in enlist(ledger, 11, OTHER)
    ]
    book, strikes = UsefulnessBook(), dict.fromkeys((wid for _, wid in workers), 0)
    for _ in range(280):
        # one veteran plays often: its average runs past the window
        capability, wid = workers[0] if rng.random() < 0.1 else rng.choice(workers)
        value = rng.choice([rng.randint(0, 100), rng.randint(80, 100), rng.randint(0, 25)])
        duplicate, floor = rng.random() < 0.1, rng.randint(10, 90)
        strikes[wid] = strikes[wid] + 1 if value < floor else max(strikes[wid] - 1, 0)
        event = score(ledger, wid, value, duplicate, floor)
        assert (event.usefulness, event.strikes) == (
            book.record(capability, wid, value, duplicate),
            strikes[wid],
        )
    assert max(registry.worker(wid).rounds_scored for _, wid in workers) > 16  # window full
    for capability in (CAP, OTHER):
        population = book.population(capability)
        assert astuple(registry.population_stats(capability)) == book.stats(capability)
        assert len(population) >= 11
        # every value against the population, and both sides of its line
        line = max(v for v in range(10_001) if is_outlier(v, population, 11))
        values = [line, line + 1, *(rng.randint(0, 10_000) for _ in range(40))]
        for v in values:
            assert rounds.is_outlier(capability, v) is is_outlier(v, population, 11), v
