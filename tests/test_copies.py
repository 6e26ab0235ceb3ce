"""Copies earn nothing, end to end: real modules, a real proof, anvil.

A copy of the MLP (the same code with a custom section appended, so another CID) registered by
another owner after the original answers exactly as it does. The engine's answer classes keep
it out of every round. An operator that let it play beside the original would still not pay
it: the proof marks it, and the contract pays it nothing and does not count the round towards
its usefulness. The MLP's own CID is refused to anyone else, with one line and nothing spent.
"""

from __future__ import annotations

import json
import random

import pytest

from protocol.chain import devnet_signer
from protocol.cli.engine_context import EngineOptions, open_engine
from protocol.runtime import WorkerRuntime
from protocol.toolchain import build_file
from protocol.toolchain.variants import tagged_copy
from tests.helpers import ROOT, SWT, assert_one_line_error, memjit

pytestmark = pytest.mark.node


def register_copy(network) -> tuple[str, str, bytes]:
    """The MLP's CID, and a copy of it registered by another owner: (mlp, copy, copy's id)."""
    anvil, mj, _items, settings = network
    original = build_file(ROOT / "workers/digits/models/mlp.json")
    copycat = devnet_signer(mj.chain, 9)
    mj.token.faucet(copycat, 1_000 * SWT)
    with WorkerRuntime.from_settings(settings) as runtime:
        mlp_cid = runtime.publish(original)
        copy_cid = runtime.publish(tagged_copy(original, "mallory"))
    assert copy_cid != mlp_cid

    balance = mj.token.balance_of(copycat.address)
    refused = memjit(
        "worker", "register", "--cid", mlp_cid, "--stake", "200", "--capability", "digits-8x8",
        "--rpc", anvil.url, "--account", "9",
    )  # fmt: skip
    assert_one_line_error(refused, "already registered")
    assert mj.token.balance_of(copycat.address) == balance
    copy_id, _ = mj.registry.register(copycat, copy_cid, 200 * SWT, "digits-8x8")
    return mlp_cid, copy_cid, copy_id


def test_a_copy_under_another_cid_never_takes_a_slot(network) -> None:
    anvil, _mj, items, _settings = network
    mlp_cid, copy_cid, _copy_id = register_copy(network)
    result = memjit("request", "digits-8x8", "-i", str(items), "--rpc", anvil.url, "--json")
    assert result.returncode == 0, result.stderr
    cids = {w["cid"] for w in json.loads(result.stdout)["workers"]}
    assert mlp_cid in cids and copy_cid not in cids  # one slot per answer class


def test_a_copy_playing_beside_its_original_is_paid_nothing(network) -> None:
    """The contract's rule, for an operator whose engine does not keep copies apart: a copy
    repeating the original's mistakes is paid nothing; when both answer every canary right
    the round proves nothing about copying, and both are paid."""
    anvil, mj, items, _settings = network
    mlp_cid, copy_cid, copy_id = register_copy(network)
    options = EngineOptions(rpc_url=anvil.url)
    flagged: list[bool] = []
    with open_engine(options) as engine:
        engine.rng = random.Random(5)  # canary draws fixed: some rounds the MLP misses one
        engine.classes.standing = lambda _capability, worker, _active: (None, worker)
        for _ in range(8):
            result = engine.serve("digits-8x8", items.read_bytes())
            by_cid = {w.cid: w for w in result.workers}
            mlp, copy = by_cid[mlp_cid], by_cid[copy_cid]
            assert copy.score == mlp.score > 0 and not mlp.duplicate
            assert copy.duplicate == (copy.score < 100)
            assert (copy.reward_wei == 0) == copy.duplicate and copy.slashed_wei == 0
            flagged.append(copy.duplicate)
            if copy.duplicate:
                break
    assert flagged[-1]  # a round where the MLP missed a canary, and the copy with it
    info = mj.registry.worker(copy_id)  # only the perfect rounds counted towards usefulness
    assert info.rounds_scored == flagged.count(False)
