"""UtilityOracle rounds on the embedded chain and on anvil, with the TEST-ONLY
HashCheckVerifier standing in for the Groth16 verifier (it binds the public signals, so every
tampering test below is meaningful; it proves nothing about how scores were computed)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, replace

import pytest

from oracle.economics import MIN_SIGMA, is_outlier, reward
from protocol.artifacts import load_artifact
from protocol.chain import (
    MemJitContracts,
    OracleParams,
    RoundCommitments,
    RoundStatus,
    TxResult,
    WorkerStatus,
    block_time,
    round_fingerprint,
)
from protocol.chain.connection import advance_time
from protocol.chain.deployment import deploy_memjit
from protocol.chain.events import WorkerEliminated, of_type
from protocol.chain.types import Termination
from protocol.errors import ContractReverted
from tests.conftest import TEST_CONFIG, World
from tests.helpers import (
    DEFAULT_PUBLIC_INPUTS,
    SWT,
    R,
    UsefulnessBook,
    deploy_hash_verifier,
    fake_proof,
)

CAP = "digits-8x8"
REQUEST, EVALUATION, OUTPUTS = 111, 222, 333
COMMITMENTS = (REQUEST, EVALUATION, OUTPUTS)
COMMITTED = RoundCommitments(*COMMITMENTS)


def register(world: World, count: int, stake: int = 200 * SWT) -> list[bytes]:
    ids = []
    for i in range(count):
        owner = world.owners[i % len(world.owners)]
        wid, _ = world.mj.registry.register(owner, f"bafkrei-worker-{i}", stake, CAP)
        ids.append(wid)
    return ids


def open_round(world: World, ids: Sequence[bytes]) -> int:
    return world.mj.rounds.open(world.admin, ids, REQUEST, EVALUATION).round_id


def close_round(
    world: World,
    round_id: int,
    ids: Sequence[bytes],
    scores: Sequence[int],
    proof_for: int | None = None,
    proof_scores: Sequence[int] | None = None,
    duplicates: int = 0,
) -> TxResult:
    """Closes with the fake proof for (proof_for, proof_scores), by default the honest one."""
    rounds = world.mj.rounds
    proved = list(proof_scores or scores)
    signals = rounds.public_signals(proof_for or round_id, COMMITTED, duplicates, proved)
    proof = fake_proof(signals)
    return rounds.close(
        world.admin, round_id, ids, COMMITTED, duplicates, scores, proof, gas=None
    ).tx


def books_balanced(world: World) -> bool:
    mj = world.mj
    return (
        sum(mj.registry.worker(w).stake for w in mj.registry.worker_ids())
        == mj.registry.total_staked()
        == mj.token.balance_of(mj.registry.address)
    )


# -- opening -------------------------------------------------------------------------------


def test_open_round_records_commitments_and_deadline(world: World):
    ids = register(world, 3)
    round_id = open_round(world, ids)
    stored = world.mj.rounds.get(round_id)
    assert stored.status == RoundStatus.OPEN
    assert stored.deadline == stored.opened_at + TEST_CONFIG.round_timeout_s
    assert stored.worker_count == 3
    fingerprint = round_fingerprint(ids, REQUEST, EVALUATION)  # the engine's, for recovery
    assert stored.fingerprint == fingerprint
    assert world.mj.rounds.fingerprint(ids, REQUEST, EVALUATION) == fingerprint
    # two slots: the commitments themselves are only in the event
    (view,) = [f for f in load_artifact("UtilityOracle").abi if f.get("name") == "round"]
    assert len(view["outputs"][0]["components"]) == 5


def test_open_round_validates_its_workers(world: World):
    ids = register(world, 6)
    cases = [
        (ids, REQUEST, "UtilityOracleBadWorkerCount"),
        ([], REQUEST, "UtilityOracleBadWorkerCount"),
        ([ids[0], ids[1], ids[1]], REQUEST, "UtilityOracleDuplicateWorker"),
        ([ids[1], ids[0]], REQUEST, "UtilityOracleWorkerOutOfOrder"),
        ([ids[0], b"\x07" * 32], REQUEST, "UtilityOracleWorkerNotActive"),
        (ids[:2], R, "UtilityOracleNotInField"),
    ]
    for workers, request, error in cases:
        with pytest.raises(ContractReverted) as err:
            world.mj.rounds.open(world.admin, workers, request, EVALUATION)
        assert err.value.name == error


def test_only_operators_open_rounds(world: World):
    ids = register(world, 1)
    with pytest.raises(ContractReverted) as err:
        world.mj.rounds.open(world.owners[0], ids, REQUEST, EVALUATION)
    assert err.value.name == "AccessControlUnauthorizedAccount"


# -- closing -------------------------------------------------------------------------------


def test_close_pays_the_top_three_by_the_reward_formula(world: World):
    ids = register(world, 5)
    owners = [world.mj.registry.worker(w).owner for w in ids]
    scores = [90, 40, 75, 60, 95]
    advance_time(world.chain, 5 * 3_600)  # five idle hours since registration
    assert world.mj.rounds.last_round_at(CAP) == 0
    round_id = open_round(world, ids)
    balances = [world.mj.token.balance_of(o) for o in owners]
    tx = close_round(world, round_id, ids, scores)
    closed_at = block_time(world.chain, tx.block_number)

    # Scores are recorded in the round's order: each newcomer starts from the mean of the
    # workers scored before it (the first, with nobody before it, from its own score).
    book = UsefulnessBook()
    usefulness = [book.record(CAP, wid, score) for wid, score in zip(ids, scores, strict=True)]
    assert usefulness == [9000, 6500, 7625, 6854, 8497]
    winners = {4, 0, 2}  # 95, 90, 75
    for i, wid in enumerate(ids):
        info = world.mj.registry.worker(wid)
        assert (info.last_score, info.usefulness, info.last_used, info.rounds_scored) == (
            scores[i],
            usefulness[i],
            closed_at,
            1,
        )
        # The capability's first round: nothing idle, however long ago the workers came.
        expected = reward(TEST_CONFIG.base_rate_wei, scores[i], 0) if i in winners else 0
        assert world.mj.token.balance_of(owners[i]) - balances[i] == expected
    assert world.mj.rounds.last_round_at(CAP) == closed_at
    assert world.mj.rounds.get(round_id).status == RoundStatus.CLOSED
    assert books_balanced(world)


def test_a_worker_repeating_an_earlier_registrants_answers_earns_nothing(world: World):
    ids = register(world, 4, stake=300 * SWT)
    scores = [90, 90, 10, 10]  # 1 repeats 0; 3 repeats 2, both under the floor
    duplicates = 0b1010
    rounds, registry = world.mj.rounds, world.mj.registry
    round_id = open_round(world, ids)
    signals = rounds.public_signals(round_id, COMMITTED, duplicates, scores)
    closed = rounds.close(
        world.admin, round_id, ids, COMMITTED, duplicates, scores, fake_proof(signals), gas=None
    )
    settlement = closed.settlement
    assert settlement.duplicates == {ids[1], ids[3]}
    assert set(settlement.rewards) == {ids[0]}  # the copy of the best earns nothing
    # A copy answers for its own score: the copy of a bad worker is slashed like it (else two
    # failing workers would shield each other), and takes a strike like it. The round does
    # not count towards a copy's usefulness: never scored on its own, it stays a newcomer.
    assert set(settlement.slashed) == {ids[2], ids[3]}
    assert settlement.slashed[ids[2]] == settlement.slashed[ids[3]] > 0
    infos = [registry.worker(w) for w in ids]
    # 9000: the first scored worker starts from its own 90; 5000: the prior 9000 (the mean)
    # and a 10.
    assert [(w.usefulness, w.rounds_scored, w.last_score, w.strikes) for w in infos] == [
        (9000, 1, 90, 0),
        (0, 0, 90, 0),
        (5000, 1, 10, 1),
        (0, 0, 10, 1),
    ]
    assert settlement.usefulness == {w.id: w.usefulness for w in infos}
    assert infos[1].last_used == infos[0].last_used  # it waits its turn among newcomers
    # An established worker keeps the usefulness it earned when it later repeats another.
    again = open_round(world, ids[:2])
    proof = fake_proof(rounds.public_signals(again, COMMITTED, 0, [100, 60]))
    rounds.close(world.admin, again, ids[:2], COMMITTED, 0, [100, 60], proof, gas=None)
    established = registry.worker(ids[1]).usefulness
    third = open_round(world, ids[:2])
    proof = fake_proof(rounds.public_signals(third, COMMITTED, 0b10, [100, 100]))
    rounds.close(world.admin, third, ids[:2], COMMITTED, 0b10, [100, 100], proof, gas=None)
    # 6583: its first own round, a 60 from the prior 7166 (the mean of 9333 and 5000).
    assert registry.worker(ids[1]).usefulness == established == 6583
    # A forged mask does not verify: the proof binds it.
    with pytest.raises(ContractReverted, match="UtilityOracleInvalidProof"):
        other = open_round(world, ids)
        proof = fake_proof(rounds.public_signals(other, COMMITTED, duplicates, scores))
        rounds.close(world.admin, other, ids, COMMITTED, 0, scores, proof, gas=None)
    assert books_balanced(world)


@pytest.mark.parametrize("idle_s", [0, 1, 3_599, 86_400, 7 * 86_400, 365 * 86_400])
def test_reward_formula_on_chain_matches_the_python_reference(world: World, idle_s: int):
    for score in (0, 1, 33, 50, 99, 100):
        assert world.mj.rounds.reward_for(score, idle_s) == reward(
            TEST_CONFIG.base_rate_wei, score, idle_s
        )


def test_reward_shrinks_with_idle_time_between_rounds(world: World):
    ids = register(world, 1)
    close_round(world, open_round(world, ids), ids, [80])
    owner = world.mj.registry.worker(ids[0]).owner
    previous_round = world.mj.rounds.last_round_at(CAP)
    assert previous_round == world.mj.registry.worker(ids[0]).last_used
    advance_time(world.chain, 3 * 86_400)
    before = world.mj.token.balance_of(owner)
    tx = close_round(world, open_round(world, ids), ids, [80])
    closed_at = block_time(world.chain, tx.block_number)
    paid = world.mj.token.balance_of(owner) - before
    assert paid == reward(TEST_CONFIG.base_rate_wei, 80, closed_at - previous_round)
    assert paid < TEST_CONFIG.base_rate_wei * 80 // 3  # roughly a quarter of the fresh reward


def test_workers_under_the_floor_are_slashed_and_the_winners_get_the_stake(world: World):
    ids = register(world, 4, stake=300 * SWT)
    owners = [world.mj.registry.worker(w).owner for w in ids]
    scores = [10, 90, 0, 80]  # two under the floor of 20
    round_id = open_round(world, ids)
    balances = [world.mj.token.balance_of(o) for o in owners]
    close_round(world, round_id, ids, scores)
    slash_each = 300 * SWT * TEST_CONFIG.slash_bps // 10_000
    assert (
        world.mj.registry.worker(ids[0]).stake
        == world.mj.registry.worker(ids[2]).stake
        == 300 * SWT - slash_each
    )
    assert world.mj.registry.worker(ids[1]).stake == 300 * SWT
    pool = 2 * slash_each
    for i in (1, 3):  # the two rewarded workers split the pool
        info_reward = reward(TEST_CONFIG.base_rate_wei, scores[i], 0)  # the first round
        gained = world.mj.token.balance_of(owners[i]) - balances[i]
        assert gained == info_reward + pool // 2
    for i in (0, 2):
        assert world.mj.token.balance_of(owners[i]) == balances[i]  # no reward under the floor
    assert books_balanced(world)


def test_slashed_stake_goes_to_the_treasury_when_nobody_wins(world: World):
    ids = register(world, 2, stake=100 * SWT)
    treasury = world.mj.rounds.params().treasury
    before = world.mj.token.balance_of(treasury)
    close_round(world, open_round(world, ids), ids, [0, 5])
    assert (
        world.mj.token.balance_of(treasury) - before
        == 2 * 100 * SWT * TEST_CONFIG.slash_bps // 10_000
    )
    assert books_balanced(world)


def test_a_round_cannot_be_closed_twice(world: World):
    ids = register(world, 2)
    round_id = open_round(world, ids)
    close_round(world, round_id, ids, [50, 60])
    with pytest.raises(ContractReverted) as err:
        close_round(world, round_id, ids, [50, 60])
    assert (err.value.name, err.value.error_args["status"]) == (
        "UtilityOracleRoundNotOpen",
        "Closed",
    )


def test_tampered_scores_or_a_wrong_proof_are_rejected(world: World):
    ids = register(world, 2)
    round_id = open_round(world, ids)
    with pytest.raises(ContractReverted, match="UtilityOracleInvalidProof"):
        close_round(world, round_id, ids, [100, 60], proof_scores=[50, 60])
    with pytest.raises(ContractReverted, match="UtilityOracleInvalidProof"):
        bad = ([1, 0], [[0, 0], [0, 0]], [0, 0])
        world.mj.rounds.close(world.admin, round_id, ids, COMMITTED, 0, [50, 60], bad, gas=None)
    close_round(world, round_id, ids, [50, 60])  # the honest proof still works


def test_a_proof_for_one_round_cannot_close_another(world: World):
    ids = register(world, 2)
    first = open_round(world, ids)
    second = open_round(world, ids)
    with pytest.raises(ContractReverted) as err:
        close_round(world, second, ids, [70, 70], proof_for=first)
    assert err.value.error_args == {"roundId": second}


def test_close_checks_workers_scores_and_field(world: World):
    ids = register(world, 3)
    round_id = open_round(world, ids)
    with pytest.raises(ContractReverted, match="UtilityOracleRoundMismatch"):
        close_round(world, round_id, [ids[1], ids[0], ids[2]], [1, 2, 3])
    rounds = world.mj.rounds
    for wrong in (
        RoundCommitments(REQUEST + 1, EVALUATION, OUTPUTS),
        RoundCommitments(REQUEST, EVALUATION + 1, OUTPUTS),
    ):
        signals = rounds.public_signals(round_id, wrong, 0, [1, 2, 3])
        with pytest.raises(ContractReverted, match="UtilityOracleRoundMismatch"):
            rounds.close(
                world.admin, round_id, ids, wrong, 0, [1, 2, 3], fake_proof(signals), gas=None
            )
    with pytest.raises(ContractReverted, match="UtilityOracleScoreCountMismatch"):
        close_round(world, round_id, ids, [1, 2])
    with pytest.raises(ContractReverted, match="UtilityOracleScoreOutOfRange"):
        close_round(world, round_id, ids, [1, 101, 3])


def test_expired_rounds_can_only_be_abandoned_and_pay_nothing(world: World):
    ids = register(world, 2)
    round_id = open_round(world, ids)
    rounds = world.mj.rounds
    with pytest.raises(ContractReverted, match="UtilityOracleRoundNotExpired"):
        rounds.abandon(world.owners[0], round_id)
    advance_time(world.chain, TEST_CONFIG.round_timeout_s + 1)
    with pytest.raises(ContractReverted, match="UtilityOracleRoundExpired"):
        close_round(world, round_id, ids, [90, 90])
    supply = world.mj.token.total_supply()
    rounds.abandon(world.owners[0], round_id)  # anyone, once expired
    assert rounds.get(round_id).status == RoundStatus.ABANDONED
    assert world.mj.token.total_supply() == supply
    with pytest.raises(ContractReverted, match="UtilityOracleRoundNotOpen"):
        close_round(world, round_id, ids, [90, 90])


def test_an_exiting_worker_still_answers_for_its_round(world: World):
    ids = register(world, 2, stake=100 * SWT)
    round_id = open_round(world, ids)
    owner = world.owners[0]
    world.mj.registry.exit(owner, ids[0])
    close_round(world, round_id, ids, [0, 90])
    info = world.mj.registry.worker(ids[0])
    assert info.status == WorkerStatus.EXITING
    assert info.stake == 100 * SWT - 100 * SWT * TEST_CONFIG.slash_bps // 10_000
    assert info.rounds_scored == 0  # out of the population: no score recorded
    assert books_balanced(world)


def test_close_without_a_verifier_is_refused(world: World):
    module_world = world
    chain = module_world.chain
    bare = deploy_memjit(chain, module_world.admin, TEST_CONFIG).deployment
    mj = MemJitContracts(chain, bare)
    owner = module_world.owners[0]
    mj.token.faucet(owner, 100 * SWT)
    wid, _ = mj.registry.register(owner, "bafkrei-nv", 100 * SWT, CAP)
    mj.rounds.open(module_world.admin, [wid], REQUEST, EVALUATION)
    with pytest.raises(ContractReverted, match="UtilityOracleNoVerifier"):
        mj.rounds.close(module_world.admin, 1, [wid], COMMITTED, 0, [50], fake_proof([1]), gas=None)
    # Without a verifier the signals still have one slot per allowed worker.
    signals = mj.rounds.public_signals(1, COMMITTED, 0, [50])
    assert signals == [1, REQUEST, EVALUATION, OUTPUTS, 0, 50] + [0] * (
        TEST_CONFIG.max_workers_per_round - 1
    )


# -- public signals and the verifier's inputs -------------------------------------------------


def test_public_signals_are_padded_to_the_verifiers_input_count(world: World) -> None:
    ids = register(world, 2)
    round_id = open_round(world, ids)
    signals = world.mj.rounds.public_signals(round_id, COMMITTED, 2, [70, 30])
    assert signals == [round_id, REQUEST, EVALUATION, OUTPUTS, 2, 70, 30, 0, 0, 0]
    assert len(signals) == DEFAULT_PUBLIC_INPUTS
    close_round(world, round_id, ids, [70, 30])
    assert world.mj.rounds.get(round_id).status == RoundStatus.CLOSED


def test_public_signals_refuse_more_scores_than_slots(world: World) -> None:
    with pytest.raises(ContractReverted) as err:
        world.mj.rounds.public_signals(1, COMMITTED, 0, [1, 2, 3, 4, 5, 6])
    assert (err.value.name, err.value.error_args) == (
        "UtilityOracleBadWorkerCount",
        {"count": 6, "max": 5},
    )


def test_the_fake_verifier_rejects_a_wrong_signal_count(world: World) -> None:
    verifier = deploy_hash_verifier(world.chain, world.admin)
    signals = list(range(DEFAULT_PUBLIC_INPUTS))
    assert verifier.public_input_count() == DEFAULT_PUBLIC_INPUTS
    assert verifier.verify(fake_proof(signals), signals) is True
    shorter = signals[:-1]
    assert verifier.verify(fake_proof(shorter), shorter) is False


@pytest.mark.parametrize(
    "public_inputs,max_workers,rejected",
    [(5, 1, "publicInputCount"), (7, 3, "maxWorkersPerRound"), (7, 2, None)],
)
def test_the_oracle_needs_a_score_slot_per_allowed_worker(
    world: World, public_inputs: int, max_workers: int, rejected: str | None
) -> None:
    verifier = deploy_hash_verifier(world.chain, world.admin, public_inputs)
    config = replace(TEST_CONFIG, max_workers_per_round=max_workers)
    if rejected is not None:
        with pytest.raises(ContractReverted) as err:
            deploy_memjit(world.chain, world.admin, config, verifier=verifier.address)
        assert (err.value.name, err.value.error_args["name"]) == (
            "UtilityOracleInvalidParameter",
            rejected,
        )
        return
    deployed = deploy_memjit(world.chain, world.admin, config, verifier=verifier.address)
    rounds = MemJitContracts(world.chain, deployed.deployment).rounds
    assert rounds.public_signals(1, COMMITTED, 0, [7]) == [1, *COMMITMENTS, 0, 7, 0]
    with pytest.raises(ContractReverted, match="UtilityOracleInvalidParameter"):
        params = replace(rounds.params(), max_workers_per_round=max_workers + 1)
        rounds.set_params(world.admin, params)


# -- the 3-sigma rule ------------------------------------------------------------------------


def _params(world: World, **changes: int) -> OracleParams:
    return replace(world.mj.rounds.params(), **changes)


@pytest.mark.parametrize("min_population,terminated", [(16, True), (17, False)])
def test_workers_three_sigma_below_the_mean_are_terminated_at_the_close(
    world: World, min_population: int, terminated: bool
):
    mj = world.mj
    mj.rounds.set_params(world.admin, _params(world, min_population=min_population))
    ids = register(world, 16)
    scores = [90] * 15 + [0]
    book = UsefulnessBook()
    for start in range(0, 16, 5):  # rounds of 5, 5, 5 and 1: the last makes the population 16
        chunk, chunk_scores = ids[start : start + 5], scores[start : start + 5]
        tx = close_round(world, open_round(world, chunk), chunk, chunk_scores)
        for wid, score in zip(chunk, chunk_scores, strict=True):
            book.record(CAP, wid, score)
    population = book.population(CAP)
    last = book.usefulness(CAP, ids[-1])
    mean = sum(population) / len(population)
    assert mean - last > 3 * MIN_SIGMA  # far below: beyond the floor on sigma too
    assert is_outlier(last, population, min_population) is terminated
    assert mj.registry.worker(ids[-1]).strikes == 1  # one strike: terminated as an outlier

    eliminated = of_type(mj.event_log.decode_receipt(tx.receipt), WorkerEliminated)
    status = mj.registry.worker(ids[-1]).status
    if terminated:
        # Its stake after the floor's slash, then terminationBps of it: half to the closer.
        stake = 200 * SWT - 200 * SWT * TEST_CONFIG.slash_bps // 10_000
        slashed = stake * TEST_CONFIG.termination_bps // 10_000
        (event,) = eliminated
        assert (event.round_id, event.worker_id, event.by, event.reason) == (
            mj.rounds.last_id(),
            ids[-1],
            world.admin.address,
            Termination.OUTLIER,
        )
        assert (event.usefulness, event.slashed, event.bounty) == (last, slashed, slashed // 2)
        assert status == WorkerStatus.TERMINATED
        assert mj.registry.worker(ids[-1]).stake == stake - slashed
        assert ids[-1] not in mj.registry.capability_worker_ids(CAP)
        book.leave(CAP, ids[-1])
    else:
        assert eliminated == []
        assert status == WorkerStatus.ACTIVE
        assert mj.rounds.terminable(ids[-1]) == Termination.NONE
    assert astuple(mj.registry.population_stats(CAP)) == book.stats(CAP)
    for wid in ids[:-1]:
        assert mj.registry.worker(wid).status == WorkerStatus.ACTIVE
    assert books_balanced(world)


def test_population_statistics_follow_scores_and_exits(world: World):
    ids = register(world, 3)
    book = UsefulnessBook()
    for scores in ([50, 70, 90], [90, 70, 10]):
        close_round(world, open_round(world, ids), ids, scores)
        for wid, score in zip(ids, scores, strict=True):
            book.record(CAP, wid, score)
    # Round one: 5000 (prior 5000), 6000 (prior 5000), 7250 (prior 5500); round two moves
    # each a third of the way to its new score.
    assert [world.mj.registry.worker(w).usefulness for w in ids] == [6333, 6333, 5167]
    assert [book.usefulness(CAP, w) for w in ids] == [6333, 6333, 5167]
    assert astuple(world.mj.registry.population_stats(CAP)) == book.stats(CAP)
    world.mj.registry.exit(world.owners[0], ids[0])
    book.leave(CAP, ids[0])
    rest = (2, 6333 + 5167, 6333**2 + 5167**2)
    assert astuple(world.mj.registry.population_stats(CAP)) == book.stats(CAP) == rest
    assert astuple(world.mj.registry.population_stats("sentiment")) == (0, 0, 0)


def test_params_are_validated_and_admin_only(world: World):
    rounds = world.mj.rounds
    for change, name in [
        ({"base_rate_wei": 0}, "baseRate"),
        ({"score_floor": 9}, "scoreFloor"),
        ({"score_floor": 91}, "scoreFloor"),
        ({"slash_bps": 99}, "slashBps"),
        ({"slash_bps": 5_001}, "slashBps"),
        ({"min_population": 10}, "minPopulation"),
        ({"strike_limit": 1}, "strikeLimit"),
        ({"strike_limit": 11}, "strikeLimit"),
        ({"termination_bps": 99}, "terminationBps"),
        ({"termination_bps": 5_001}, "terminationBps"),
        ({"round_timeout_s": TEST_CONFIG.unbonding_delay_s}, "roundTimeout"),
        ({"max_workers_per_round": 0}, "maxWorkersPerRound"),
        # the verifier has 10 public signals: 5 before the scores, so 5 score slots
        ({"max_workers_per_round": 6}, "maxWorkersPerRound"),
    ]:
        with pytest.raises(ContractReverted) as err:
            rounds.set_params(world.admin, _params(world, **change))
        assert err.value.error_args["name"] == name
    with pytest.raises(ContractReverted, match="AccessControlUnauthorizedAccount"):
        rounds.set_params(world.owners[0], _params(world))
