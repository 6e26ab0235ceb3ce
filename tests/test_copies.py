"""Copies earn nothing, end to end: real modules, a real proof, anvil.

A copy of the MLP (the same code with a custom section appended, so another CID) registered by
another owner after the original gives the same answers on every canary: the proof marks it,
the contract pays it nothing and does not count the round towards its usefulness. The MLP's own
CID is refused to anyone else, with one line and nothing spent.
"""

from __future__ import annotations

import json

import pytest

from protocol.chain import devnet_signer
from protocol.runtime import WorkerRuntime
from protocol.toolchain import build_file
from tests.helpers import ROOT, SWT, assert_one_line_error, memjit

pytestmark = pytest.mark.node


def with_custom_section(module: bytes, tag: bytes) -> bytes:
    """The same module with a custom section (id 0) appended: same code, different bytes."""
    name = b"copy"
    body = bytes([len(name)]) + name + tag
    assert len(body) < 128  # a one-byte LEB128 size
    return module + bytes([0, len(body)]) + body


def test_a_copy_of_the_best_worker_is_paid_nothing(network) -> None:
    anvil, mj, items, settings = network
    original = build_file(ROOT / "workers/digits/models/mlp.json")
    copycat = devnet_signer(mj.chain, 9)
    mj.token.faucet(copycat, 1_000 * SWT)
    with WorkerRuntime.from_settings(settings) as runtime:
        mlp_cid = runtime.publish(original)
        copy_cid = runtime.publish(with_custom_section(original, b"mallory"))
    assert copy_cid != mlp_cid

    balance = mj.token.balance_of(copycat.address)
    refused = memjit(
        "worker", "register", "--cid", mlp_cid, "--stake", "200", "--capability", "digits-8x8",
        "--rpc", anvil.url, "--account", "9",
    )  # fmt: skip
    assert_one_line_error(refused, "already registered")
    assert mj.token.balance_of(copycat.address) == balance

    copy_id, _ = mj.registry.register(copycat, copy_cid, 200 * SWT, "digits-8x8")
    result = memjit("request", "digits-8x8", "-i", str(items), "--rpc", anvil.url, "--json")
    assert result.returncode == 0, result.stderr
    served = json.loads(result.stdout)
    by_cid = {w["cid"]: w for w in served["workers"]}
    mlp, copy = by_cid[mlp_cid], by_cid[copy_cid]
    assert copy["score"] == mlp["score"] > 0
    assert (copy["duplicate"], mlp["duplicate"]) == (True, False)
    assert copy["reward_wei"] == "0" and int(mlp["reward_wei"]) > 0
    assert copy["slashed_wei"] == "0"
    info = mj.registry.worker(copy_id)  # never scored on its own: still a newcomer
    assert (info.last_score, info.usefulness, info.rounds_scored) == (copy["score"], 0, 0)
