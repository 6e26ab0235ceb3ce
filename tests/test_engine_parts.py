"""The engine's pure parts: hiding canaries, the score-weighted vote, choosing workers."""

from __future__ import annotations

import random
from dataclasses import replace

from oracle.datasets import load_digits_test
from protocol.chain import WorkerInfo, WorkerStatus
from protocol.engine.batch import best_answers, mix
from protocol.engine.selection import select_workers


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


def info(n: int, usefulness: int, rounds: int, status: WorkerStatus = WorkerStatus.ACTIVE):
    return WorkerInfo(
        id=bytes([n]) * 32, owner="0x" + "00" * 20, status=status, last_score=0,
        usefulness=usefulness, last_used=n, rounds_scored=rounds, stake=1, unbonds_at=0, serial=n,
        capability="digits-8x8", cid=f"cid{n}",
    )  # fmt: skip


def test_selection_keeps_a_slot_for_the_longest_waiting_newcomer():
    scored = [info(i, 1000 * i, 3) for i in range(1, 7)]
    fresh = [info(20, 0, 0), info(10, 0, 0)]
    gone = info(30, 9999, 5, WorkerStatus.TERMINATED)
    picked = select_workers([*scored, *fresh, gone], 5)
    assert [w.id[0] for w in picked] == [6, 5, 4, 3, 10]
    # too few scored workers: newcomers fill every free slot
    assert [w.id[0] for w in select_workers([scored[0], *fresh], 5)] == [1, 10, 20]


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
        kept = classes.representatives("digits-8x8", workers)
    # The MLP registered first (serial 1) represents its class; a failing worker forms none.
    assert [w.cid for w in kept] == [cids[1], cids[2], cids[3], cids[4]]
