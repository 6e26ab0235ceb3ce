"""The attack workers the simulator and the demo build: memorisers, copies, constant answers,
weight-noised models. Each must behave as its attack needs, and build to the same bytes."""

from __future__ import annotations

import random

import pytest

from oracle.datasets import LabelledSet, load_digits_test
from oracle.scoring import accuracy
from protocol.cid import cid_for
from protocol.errors import BuildError
from protocol.sandbox import DarwinVM
from protocol.toolchain.dense import build_dense_worker, load_model
from protocol.toolchain.lookup import build_constant_worker, build_lookup_worker, lookup_to_wat
from protocol.toolchain.variants import COPY_SECTION, noised_model, tagged_copy
from tests.helpers import MODELS


def run(vm: DarwinVM, wasm: bytes, data: bytes) -> bytes:
    output = vm.run(vm.compile(wasm), data).output
    assert output is not None
    return output


def unseen(digits: LabelledSet) -> LabelledSet:
    """The shipped digits with one pixel changed each: items no table holds."""
    changed = tuple(item[:-1] + bytes([(item[-1] + 1) % 17]) for item in digits.inputs)
    assert not set(changed) & set(digits.inputs)
    return LabelledSet(digits.task, digits.item_size, changed, digits.labels)


def test_memoriser_answers_every_shipped_digit_and_a_constant_otherwise(vm: DarwinVM):
    digits = load_digits_test()
    memoriser = build_lookup_worker(digits, miss_answer=7)
    assert accuracy(run(vm, memoriser, digits.batch()), digits.labels) == 1.0
    assert run(vm, memoriser, unseen(digits).batch()) == bytes([7]) * len(digits)


def test_memoriser_finds_items_wherever_they_sit_in_a_batch(vm: DarwinVM):
    digits = load_digits_test()
    memoriser = build_lookup_worker(digits, miss_answer=0)
    picks = random.Random(3).sample(range(len(digits)), 21)
    batch = b"".join(digits.inputs[i] for i in picks)
    assert run(vm, memoriser, batch) == bytes(digits.labels[i] for i in picks)


def test_memoriser_with_a_classifier_answers_misses_like_the_classifier(vm: DarwinVM):
    digits = load_digits_test()
    mlp = load_model(MODELS / "mlp.json")
    combined = build_lookup_worker(digits, fallback=mlp)
    assert accuracy(run(vm, combined, digits.batch()), digits.labels) == 1.0
    fresh = unseen(digits).batch()
    assert run(vm, combined, fresh) == run(vm, build_dense_worker(mlp), fresh)


def test_constant_worker_answers_one_class_for_every_item(vm: DarwinVM):
    digits = load_digits_test()
    assert run(vm, build_constant_worker(3, 64), digits.batch()) == bytes([3]) * len(digits)


def test_copy_behaves_like_the_original_under_another_cid(vm: DarwinVM):
    digits = load_digits_test()
    original = build_dense_worker(load_model(MODELS / "mlp.json"))
    copy = tagged_copy(original, "copycat")
    assert cid_for(copy) != cid_for(original)
    assert cid_for(tagged_copy(original, "another")) != cid_for(copy)
    assert COPY_SECTION.encode() in copy and copy.startswith(original)
    assert run(vm, copy, digits.batch()) == run(vm, original, digits.batch())


def test_copying_refuses_what_is_not_a_module():
    with pytest.raises(BuildError, match="not a WebAssembly module"):
        tagged_copy(b"(module)", "tag")


def test_noise_lowers_accuracy_as_its_scale_grows(vm: DarwinVM):
    digits = load_digits_test()
    mlp = load_model(MODELS / "mlp.json")
    scores = [
        accuracy(
            run(vm, build_dense_worker(noised_model(mlp, scale, 1)), digits.batch()), digits.labels
        )
        for scale in (0.0, 0.5, 1.5)
    ]
    assert scores[0] == accuracy(run(vm, build_dense_worker(mlp), digits.batch()), digits.labels)
    assert scores[0] > scores[1] + 0.05 > scores[2] + 0.1


def test_attack_workers_build_to_the_same_bytes_every_time():
    digits = load_digits_test()
    mlp = load_model(MODELS / "mlp.json")
    assert build_lookup_worker(digits, fallback=mlp) == build_lookup_worker(digits, fallback=mlp)
    assert noised_model(mlp, 0.4, 2) == noised_model(mlp, 0.4, 2)
    assert noised_model(mlp, 0.4, 2) != noised_model(mlp, 0.4, 3)
    original = build_dense_worker(mlp)
    assert tagged_copy(original, "x") == tagged_copy(original, "x")


def test_lookup_tables_check_what_they_are_given():
    digits = load_digits_test()
    with pytest.raises(BuildError, match="one byte"):
        lookup_to_wat(digits, miss_answer=256)
    ragged = LabelledSet(digits.task, 64, (b"\0" * 64, b"\0" * 63), b"\1\2")
    with pytest.raises(BuildError, match="64 bytes"):
        lookup_to_wat(ragged)
    small = LabelledSet("tiny", 4, (b"\0\1\2\3",), b"\5")
    with pytest.raises(BuildError, match="reads items of 64 bytes"):
        lookup_to_wat(small, fallback=load_model(MODELS / "mlp.json"))


def test_tables_of_items_not_a_multiple_of_eight_bytes_compare_byte_by_byte(vm: DarwinVM):
    table = LabelledSet("tiny", 3, (b"abc", b"abd", b"xyz"), b"\1\2\3")
    worker = build_lookup_worker(table, miss_answer=9)
    assert run(vm, worker, b"xyzabdabcabe") == b"\3\2\1\x09"
