"""`memjit worker stake|exit|withdraw` against anvil, as a worker owner runs them."""

from __future__ import annotations

import json

from protocol.chain.connection import advance_time, connect
from tests.helpers import assert_one_line_error, memjit

CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"


def test_stake_exit_and_withdraw_round_trip(anvil):
    url = anvil.url
    assert memjit("deploy", "--rpc", url).returncode == 0
    assert memjit("faucet", "500", "--rpc", url, "--account", "2").returncode == 0
    registered = memjit(
        "worker", "register", "--cid", CID, "--stake", "150", "--capability", "digits-8x8",
        "--rpc", url, "--account", "2", "--json",
    )  # fmt: skip
    assert registered.returncode == 0, registered.stderr
    wid = json.loads(registered.stdout)["worker_id"]

    staked = memjit("worker", "stake", wid, "50", "--rpc", url, "--account", "2")
    assert staked.returncode == 0, staked.stderr
    assert "200 SWT" in staked.stdout
    status = json.loads(memjit("worker", "status", wid, "--rpc", url, "--json").stdout)
    assert status["stake_wei"] == str(200 * 10**18)

    assert memjit("worker", "exit", wid, "--rpc", url, "--account", "2").returncode == 0
    early = memjit("worker", "withdraw", wid, "--rpc", url, "--account", "2")
    assert_one_line_error(early, "WorkerRegistry")
    advance_time(connect(url), 2 * 86_400 + 1)
    done = memjit("worker", "withdraw", wid, "--rpc", url, "--account", "2")
    assert done.returncode == 0, done.stderr
    assert "500 SWT" in done.stdout  # every wei of stake came back


def test_bad_worker_ids_are_one_line_errors(anvil):
    assert_one_line_error(memjit("worker", "exit", "0x1234", "--rpc", anvil.url), "64 hex digits")
    assert_one_line_error(
        memjit("worker", "stake", "nothex", "5", "--rpc", anvil.url), "64 hex digits"
    )


def test_terminating_a_worker_that_does_not_qualify_is_refused_before_signing(anvil):
    url = anvil.url
    assert memjit("deploy", "--rpc", url).returncode == 0
    assert memjit("faucet", "500", "--rpc", url, "--account", "3").returncode == 0
    registered = memjit(
        "worker", "register", "--cid", CID, "--stake", "150", "--capability", "digits-8x8",
        "--rpc", url, "--account", "3", "--json",
    )  # fmt: skip
    wid = json.loads(registered.stdout)["worker_id"]
    status = json.loads(memjit("worker", "status", wid, "--rpc", url, "--json").stdout)
    assert (status["strikes"], status["terminable"]) == ("0/3", "none")
    chain = connect(url)
    nonce = chain.w3.eth.get_transaction_count(chain.w3.eth.accounts[4])
    refused = memjit("worker", "terminate", wid, "--rpc", url, "--account", "4")
    assert_one_line_error(refused, "does not qualify for termination")
    assert chain.w3.eth.get_transaction_count(chain.w3.eth.accounts[4]) == nonce  # nothing sent
    status = json.loads(memjit("worker", "status", wid, "--rpc", url, "--json").stdout)
    assert status["status"] == "active" and status["stake_wei"] == str(150 * 10**18)
