"""A node killed mid-round: `memjit round recover` finishes the round or abandons it, as the
chain says it stands, and nothing is lost or paid twice. Real processes, real anvil, SIGKILL."""

from __future__ import annotations

import json

import pytest

from oracle.datasets import load_digits_test
from protocol.chain import MemJitContracts, RoundStatus
from protocol.chain.connection import advance_time
from protocol.chain.signers import devnet_signer
from tests.conftest import NETWORK_WORKERS
from tests.helpers import kill_during, memjit


def books(mj: MemJitContracts) -> tuple[int, list[int]]:
    owners = [devnet_signer(mj.chain, 1 + i).address for i in range(len(NETWORK_WORKERS))]
    assert mj.registry.total_staked() == mj.token.balance_of(mj.registry.address)
    return mj.registry.total_staked(), [mj.token.balance_of(o) for o in owners]


def round_status(mj: MemJitContracts, round_id: int) -> RoundStatus:
    return mj.rounds.get(round_id).status


@pytest.mark.parametrize("phase", ["open", "executed"])
def test_a_round_killed_mid_way_is_resumed_and_paid_once(network, phase):
    anvil, mj, items, settings = network
    kill_during(phase, anvil, items, settings)
    assert round_status(mj, 1) == RoundStatus.OPEN
    staked_before, balances_before = books(mj)

    result = memjit("round", "recover", "--rpc", anvil.url, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [{"round_id": 1, "outcome": "resumed and closed"}]
    assert round_status(mj, 1) == RoundStatus.CLOSED
    staked_after, balances_after = books(mj)
    assert balances_after[0] > balances_before[0]  # the MLP was paid
    assert staked_after < staked_before  # the random and spinning workers were slashed

    again = memjit("round", "recover", "--rpc", anvil.url, "--json")
    assert json.loads(again.stdout) == []  # nothing left to do: nobody is paid twice
    assert books(mj) == (staked_after, balances_after)


def test_a_round_that_expired_while_the_node_was_down_is_abandoned(network):
    anvil, mj, items, settings = network
    kill_during("open", anvil, items, settings)
    before = books(mj)
    advance_time(mj.chain, 3_601)  # past the default round timeout
    result = memjit("round", "recover", "--rpc", anvil.url, "--json")
    assert json.loads(result.stdout) == [{"round_id": 1, "outcome": "expired: abandoned"}]
    assert round_status(mj, 1) == RoundStatus.ABANDONED
    assert books(mj) == before  # nothing paid, nothing slashed


def test_a_request_is_served_with_a_receipt(network):
    anvil, mj, items, _settings = network
    result = memjit("request", "digits-8x8", "-i", str(items), "--rpc", anvil.url, "--json")
    assert result.returncode == 0, result.stderr
    served = json.loads(result.stdout)
    assert served["answers"] == list(load_digits_test().labels[:5])
    assert set(served["transactions"]) == {"open", "close"}
    assert round_status(mj, served["round_id"]) == RoundStatus.CLOSED
    failures = {w["failure"] for w in served["workers"]}
    assert "out-of-fuel" in failures


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["no-such-task"], "unknown capability"),
        (["digits-8x8", "--bytes", "63"], "64 bytes"),
    ],
)
def test_bad_requests_are_one_line_errors(network, tmp_path, args, needle):
    anvil, _mj, items, _settings = network
    if "--bytes" in args:
        (tmp_path / "odd.bin").write_bytes(bytes(63))
        items, args = tmp_path / "odd.bin", args[:1]
    result = memjit("request", *args, "-i", str(items), "--rpc", anvil.url)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert needle in result.stderr


def test_a_request_without_eligible_workers_or_with_a_wrong_password_is_one_line(anvil, tmp_path):
    from eth_account import Account

    assert memjit("deploy", "--rpc", anvil.url).returncode == 0
    items = tmp_path / "items.bin"
    items.write_bytes(b"".join(load_digits_test().inputs[:2]))
    result = memjit("request", "digits-8x8", "-i", str(items), "--rpc", anvil.url)
    assert result.returncode == 1 and "no active worker" in result.stderr
    assert "Traceback" not in result.stderr
    keystore = tmp_path / "key.json"
    keystore.write_text(json.dumps(Account.encrypt(Account.create().key, "right")))
    result = memjit(
        "request", "digits-8x8", "-i", str(items), "--rpc", anvil.url, "--keystore", str(keystore),
        env={"MEMJIT_KEYSTORE_PASSWORD": "wrong"},
    )  # fmt: skip
    assert result.returncode == 1 and "wrong password" in result.stderr
