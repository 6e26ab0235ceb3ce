"""An operator's private canary pool: the ``memjit-pool/1`` file, its setting and CLI option."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from oracle.datasets import DIGITS_TASK, LabelledSet, load_digits_test
from oracle.errors import MalformedInput
from oracle.evaluation import EvaluationSet
from oracle.pools import parse_pool, pool_to_json, read_pool, write_pool
from protocol.cid import cid_for
from protocol.settings import Settings
from protocol.toolchain.sources import build_file
from tests.helpers import ROOT, memjit


def private_items(count: int = 80) -> LabelledSet:
    """Stand-ins for an operator's own labelled digits: held-out items mirrored left to right,
    so none is published (they keep the originals' labels: these tests need unseen items, not
    right answers)."""
    held_out = load_digits_test()
    flipped = tuple(
        bytes(item[row * 8 + 7 - col] for row in range(8) for col in range(8))
        for item in held_out.inputs[:count]
    )
    return LabelledSet(DIGITS_TASK, 64, flipped, held_out.labels[:count])


def document(**changes: Any) -> dict[str, Any]:
    doc = pool_to_json(private_items())
    doc.update(changes)
    return doc


def test_a_pool_file_round_trips_and_draws_fresh_canaries_from_its_items(tmp_path: Path):
    path = tmp_path / "pool.json"
    items = private_items()
    write_pool(path, items)
    assert path.stat().st_mode & 0o777 == 0o600  # it holds the answers
    source = read_pool(path)
    assert source.pool == items and source.variation is not None and source.origin == str(path)
    evaluation = source.draw(16, random.Random(1))
    assert not set(evaluation.inputs) & set(items.inputs)  # varied by default
    assert set(evaluation.answers) <= set(items.labels)


def test_an_unvaried_pool_draws_its_items_verbatim(tmp_path: Path):
    path = tmp_path / "pool.json"
    write_pool(path, private_items(), vary=False)
    source = read_pool(path)
    assert source.variation is None
    evaluation = source.draw(16, random.Random(1))
    pairs = dict(zip(source.pool.inputs, source.pool.labels, strict=True))
    assert all(pairs[i] == a for i, a in zip(evaluation.inputs, evaluation.answers, strict=True))


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"format": "memjit-evaluation/1"}, "not a pool file (expected format 'memjit-pool/1')"),
        ({"task": "cats"}, "unknown task 'cats' (known: digits-8x8)"),
        ({"colour": "red"}, "unknown key(s) colour"),
        ({"vary": "yes"}, "vary must be true or false"),
        ({"inputs": []}, "inputs must be a non-empty list of hex strings"),
        ({"inputs": ["zz"] * 80}, "input 0 is not a hex string"),
        ({"inputs": ["00" * 63] * 80}, "input 0 is 63 bytes, not 64"),
        ({"inputs": ["11" * 64] * 80}, "input 0 has a byte of 17; the task's bytes are 0–16"),
        ({"labels": [1] * 79}, "80 inputs but 79 labels"),
        ({"labels": [255] * 80}, "label 0 is 0xff, the byte reserved for 'no answer'"),
        ({"labels": [10] * 80}, "label 0 is 10; the task's are 0–9"),
        ({"labels": [True] * 80}, "label 0 is True, not a whole number"),
        (
            {"vary": False, "inputs": [i.hex() for i in load_digits_test().inputs[:80]]},
            "is published",
        ),
    ],
)
def test_a_bad_pool_file_is_one_malformed_input_naming_the_cause(changes, needle):
    with pytest.raises(MalformedInput) as caught:
        parse_pool(json.dumps(document(**changes)).encode(), "pool.json")
    message = str(caught.value)
    assert message.startswith("pool.json: ") and needle in message and "\n" not in message


def test_a_pool_that_is_not_json_or_not_there_is_one_line(tmp_path: Path):
    with pytest.raises(MalformedInput, match=r"^pool.json: not JSON"):
        parse_pool(b"\x89PNG", "pool.json")
    with pytest.raises(MalformedInput, match=r"cannot read the pool"):
        read_pool(tmp_path / "missing.json")


def test_the_canary_pool_setting_comes_from_the_environment(tmp_path: Path):
    env = {"MEMJIT_HOME": str(tmp_path), "MEMJIT_CANARY_POOL": "~/pool.json"}
    assert Settings.load(env).canary_pool == Path("~/pool.json").expanduser()
    assert Settings.load({**env, "MEMJIT_CANARY_POOL": ""}).canary_pool is None
    assert Settings.load({"MEMJIT_HOME": str(tmp_path)}).canary_pool is None
    flag = tmp_path / "flag.json"
    assert Settings.load(env, canary_pool=flag).canary_pool == flag


def test_oracle_draw_takes_a_private_pool(tmp_path: Path):
    pool, out = tmp_path / "pool.json", tmp_path / "evaluation.json"
    items = private_items()
    write_pool(pool, items)
    result = memjit("oracle", "draw", "--canary-pool", str(pool), "-o", str(out))
    assert result.returncode == 0, result.stderr
    evaluation = EvaluationSet.from_json(json.loads(out.read_text()))
    assert len(evaluation) == 16 and not set(evaluation.inputs) & set(items.inputs)

    small = tmp_path / "small.json"
    write_pool(small, LabelledSet(DIGITS_TASK, 64, items.inputs[:40], items.labels[:40]))
    result = memjit("oracle", "draw", "-o", str(out), env={"MEMJIT_CANARY_POOL": str(small)})
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"error: {small} has 40 items; rounds of 16 canaries need at least 64 (4 × 16)"
    ]


def test_an_engine_command_refuses_a_bad_pool_before_it_touches_the_chain(tmp_path: Path):
    items = tmp_path / "items.bin"
    items.write_bytes(load_digits_test().inputs[0])
    missing = tmp_path / "missing.json"
    result = memjit(
        "request", "digits-8x8", "-i", str(items), "--canary-pool", str(missing), "--rpc",
        "http://127.0.0.1:9",  # nothing listens: the pool is read first
    )  # fmt: skip
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "missing.json: cannot read the pool" in lines[0], result.stderr


def test_a_request_draws_its_canaries_from_the_operators_pool(network, tmp_path: Path):
    """A pool whose labels are all one off: the honest classifiers, right on real digits, are
    wrong on its canaries. Their low scores show the round drew from that pool, varied."""
    anvil, _mj, items, _settings = network
    held_out = load_digits_test()
    off_by_one = bytes((label + 1) % 10 for label in held_out.labels)
    pool = tmp_path / "pool.json"
    write_pool(pool, LabelledSet(DIGITS_TASK, 64, held_out.inputs, off_by_one))
    result = memjit(
        "request", "digits-8x8", "-i", str(items), "--rpc", anvil.url, "--canary-pool",
        str(pool), "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    scores = {w["cid"]: w["score"] for w in json.loads(result.stdout)["workers"]}
    for model in ("mlp", "logistic"):
        cid = cid_for(build_file(ROOT / f"workers/digits/models/{model}.json"))
        assert scores[cid] <= 25, (model, scores)
