"""The engine's pure parts: hiding canaries, the score-weighted vote, choosing workers."""

from __future__ import annotations

import random
from dataclasses import replace

from oracle.datasets import load_digits_test
from protocol.chain import WorkerInfo, WorkerStatus
from protocol.engine.batch import best_answers, mix
from protocol.engine.selection import Selection, select_workers


def test_canaries_are_shuffled_in_and_split_back_out():
    user = [bytes([i]) * 4 for i in range(5)]
    canaries = [bytes([100 + j]) * 4 for j in range(16)]
    batch = mix(user, canaries, random.Random(1))
    assert sorted(batch.items) == sorted(user + canaries)
    assert list(batch.canary_positions) != list(range(5, 21))  # not simply appended
    output = bytes(item[0] for item in batch.items)  # a worker that echoes each item's byte
    assert batch.canary_answers(output) == bytes(range(100, 116))
    assert batch.user_answers(output) == bytes(range(5))
    assert batch.canary_answers(output[:-1]) == b"\xff" * 16  # wrong length answers nothing
    assert batch.user_answers(None) is None


def test_the_user_gets_the_most_useful_workers_answers():
    first, second, third = b"\x01\x07\x03", b"\x02\x08\x03", b"\x02\x09\x04"
    # two weaker workers agreeing do not outvote the best one
    assert best_answers([(first, 9600), (second, 9300), (third, 8900)]) == first
    assert best_answers([(first, 5000), (second, 5000)]) == first  # a tie: the earlier
    assert best_answers([(first, 0), (None, 9000), (second, 10)]) == second  # no say at 0
    assert best_answers([(None, 100), (first, 0)]) is None


def info(
    n: int,
    usefulness: int,
    rounds: int,
    status: WorkerStatus = WorkerStatus.ACTIVE,
    strikes: int = 0,
) -> WorkerInfo:
    return WorkerInfo(
        id=bytes([n]) * 32, owner="0x" + "00" * 20, status=status, last_score=0,
        usefulness=usefulness, last_used=n, rounds_scored=rounds, stake=1, unbonds_at=0, serial=n,
        strikes=strikes, capability="digits-8x8", cid=f"cid{n}",
    )  # fmt: skip


SEED = bytes(32)


def ids(selection: Selection) -> list[int]:
    return [w.id[0] for w in selection.workers]


def test_selection_explores_learning_workers_in_the_slots_beyond_the_rewarded_three():
    settled = [info(i, 1000 * i, 3) for i in range(1, 7)]
    fresh = [info(20, 0, 0), info(10, 0, 0)]
    gone = info(30, 9999, 5, WorkerStatus.TERMINATED)
    picked = select_workers([*settled, *fresh, gone], 5, SEED)
    # the best three settled, then the two learners (registration order); listed by serial
    assert ids(picked) == [4, 5, 6, 10, 20]
    assert picked.explored == {bytes([10]) * 32, bytes([20]) * 32}
    # too few learners: settled workers fill the slot
    picked = select_workers([*settled, fresh[1]], 5, SEED)
    assert ids(picked) == [3, 4, 5, 6, 10] and picked.explored == {bytes([10]) * 32}
    # too few settled workers: learners fill every free slot
    assert ids(select_workers([settled[0], *fresh], 5, SEED)) == [1, 10, 20]


def test_a_started_learner_plays_its_rounds_back_to_back():
    settled = [info(i, 9000, 5) for i in range(1, 6)]
    started, waiting = info(8, 6000, 2), info(7, 0, 0)
    later = info(9, 0, 0)
    picked = select_workers([*settled, waiting, started, later], 5, SEED)
    assert {bytes([8]) * 32, bytes([7]) * 32} == picked.explored
    assert bytes([9]) * 32 not in {w.id for w in picked.workers}


def test_a_worker_with_strikes_stays_on_probation_until_it_is_decided():
    settled = [info(i, 9000, 5) for i in range(1, 6)]
    lucky = info(8, 3000, 4, strikes=1)  # three learning rounds, but a strike outstanding
    spent = info(9, 3000, 8, strikes=2)  # probation over: judged on usefulness
    picked = select_workers([*settled, lucky, spent], 5, SEED)
    assert bytes([8]) * 32 in picked.explored
    assert bytes([9]) * 32 not in {w.id for w in picked.workers}


def test_ties_follow_the_block_seed_not_the_registration_order():
    tied = [info(i, 8000, 3) for i in range(1, 11)]
    chosen = {tuple(ids(select_workers(tied, 3, bytes([s]) * 32))) for s in range(20)}
    assert len(chosen) > 5  # different seeds, different picks among equals
    assert any(3 not in picks for picks in chosen)  # the earliest do not always win
    again = select_workers(tied, 3, bytes([7]) * 32)
    assert again == select_workers(list(reversed(tied)), 3, bytes([7]) * 32)  # re-derivable


def test_answer_classes_keep_the_earliest_of_identical_workers(tmp_path) -> None:
    from protocol.engine.classes import AnswerClasses
    from protocol.runtime import WorkerRuntime
    from protocol.settings import Settings
    from protocol.toolchain import build_file
    from protocol.toolchain.variants import tagged_copy
    from tests.helpers import ROOT

    mlp = build_file(ROOT / "workers/digits/models/mlp.json")
    sources = [
        tagged_copy(mlp, "later copy"),
        mlp,
        build_file(ROOT / "workers/digits/models/logistic.json"),
        build_file(ROOT / "workers/hostile/trap.wat"),
        tagged_copy(build_file(ROOT / "workers/hostile/trap.wat"), "failing copy"),
    ]
    probe = b"".join(load_digits_test().inputs[:256])
    with WorkerRuntime.from_settings(Settings.load(home=tmp_path)) as runtime:
        cids = [runtime.publish(module) for module in sources]
        workers = [replace(info(n, 0, 0), cid=cid, serial=s) for n, (cid, s) in
                   enumerate(zip(cids, [5, 1, 2, 3, 4], strict=True), start=1)]  # fmt: skip
        classes = AnswerClasses(runtime, lambda _capability: probe)
        picked = select_workers(workers, 5, SEED, "digits-8x8", classes)
        active = {w.id: w for w in workers}
        copy_key, _ = classes.standing("digits-8x8", workers[0], active)
        assert classes.representative("digits-8x8", copy_key or b"", active) == workers[1]
        assert classes.standing("digits-8x8", workers[3], active)[0] is None  # failing: no class
        # a new identity of the MLP, once the MLP has a record, plays with that record
        settled_mlp = replace(workers[1], rounds_scored=6, usefulness=9500)
        active[settled_mlp.id] = settled_mlp
        classes.standing("digits-8x8", settled_mlp, active)
        _, inherited = classes.standing("digits-8x8", workers[0], active)
        assert inherited is not None
        assert (inherited.id, inherited.rounds_scored, inherited.usefulness) == (
            workers[0].id,
            6,
            9500,
        )
        classes.bar("digits-8x8", settled_mlp.id)  # terminated: the class never plays again
        assert classes.standing("digits-8x8", workers[0], active)[1] is None
    # The MLP registered first (serial 1) represents its class; a failing worker forms none.
    assert sorted(w.cid for w in picked.workers) == sorted([cids[1], cids[2], cids[3], cids[4]])


def test_the_sweep_asks_only_about_workers_that_may_qualify():
    from protocol.chain import OracleParams
    from protocol.engine.sweep import suspects

    params = OracleParams(
        base_rate_wei=1, score_floor=20, slash_bps=1_000, strike_limit=3, termination_bps=2_500,
        max_workers_per_round=5, min_population=11, round_timeout_s=3_600,
        treasury="0x" + "00" * 20,
    )  # fmt: skip
    crowd = [info(i, 9_000, 5) for i in range(1, 9)]
    struck, low, fresh = info(20, 8_000, 4, strikes=3), info(21, 6_000, 5), info(22, 0, 0)
    # ten scored workers: below the 3σ rule's population, only strikes count
    assert suspects([*crowd, struck, low, fresh], params) == [struck]
    # eleven scored: the rule applies, and 6000 is more than 15 points under the mean
    assert suspects([*crowd, info(23, 9_000, 5), struck, low, fresh], params) == [struck, low]
    near = info(24, 8_000, 5)  # 9 points under the mean: the contract could never terminate it
    assert suspects([*crowd, info(23, 9_000, 5), info(25, 9_000, 5), near], params) == []


def test_a_near_copy_displaces_the_earlier_worker_only_by_a_margin():
    from protocol.engine.selection import DISPLACE_MARGIN, earlier_first_within

    original, near, better = info(1, 9_000, 9), info(2, 9_150, 9), info(3, 9_300, 9)

    def alike(a: WorkerInfo, b: WorkerInfo) -> bool:  # 2 is a near-copy of 1, 3 of 1
        return {a.id[0], b.id[0]} in ({1, 2}, {1, 3})

    ranked = [better, near, original]  # by usefulness
    earlier_first_within(ranked, DISPLACE_MARGIN, 10, alike)
    # 1.5 points over the original is not enough; 3 points is
    assert [w.id[0] for w in ranked] == [3, 1, 2]
    # workers that answer differently compete on usefulness alone
    ranked = [better, near, original]
    earlier_first_within(ranked, DISPLACE_MARGIN, 10, lambda a, b: False)
    assert [w.id[0] for w in ranked] == [3, 2, 1]
