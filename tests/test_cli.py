"""The `memjit` command line, run as a user runs it (a subprocess)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account

from protocol.chain import Verifier
from protocol.chain.connection import connect
from tests.helpers import assert_one_line_error, memjit


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["compile"],
        ["chain"],
        ["chain", "up"],
        ["chain", "down"],
        ["deploy"],
        ["demo"],
        ["faucet"],
        ["worker"],
        ["worker", "register"],
        ["worker", "status"],
        ["worker", "publish"],
        ["worker", "stake"],
        ["worker", "exit"],
        ["worker", "withdraw"],
        ["request"],
        ["round"],
        ["round", "recover"],
        ["worker", "run"],
        ["worker", "build"],
        ["worker", "eval"],
        ["store"],
        ["store", "put"],
        ["store", "get"],
        ["cache"],
        ["cache", "stats"],
        ["cache", "purge"],
        ["oracle"],
        ["oracle", "setup"],
        ["oracle", "circuit"],
        ["oracle", "draw"],
        ["oracle", "commit"],
        ["oracle", "prove"],
        ["oracle", "verify"],
    ],
)
def test_every_command_has_help(command: list[str]):
    result = memjit(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage: memjit" in result.stdout


def test_deploy_to_a_dead_rpc_is_one_clear_line():
    result = memjit("deploy", "--rpc", "http://127.0.0.1:9")
    assert_one_line_error(
        result, "cannot reach the RPC endpoint http://127.0.0.1:9", "connection refused"
    )


def test_deploy_with_a_malformed_rpc_url_is_rejected():
    assert_one_line_error(memjit("deploy", "--rpc", "localhost:8545"), "must start with http://")


@pytest.mark.parametrize(
    "option,needle",
    [
        (["--min-stake", "0"], "minimum stake must be above 0"),
        (["--score-floor", "0"], "--score-floor"),
        (["--score-floor", "95"], "--score-floor"),
        (["--slash-bps", "0"], "--slash-bps"),
        (["--slash-bps", "10000"], "--slash-bps"),
        (["--base-rate", "0"], "base rate must be above 0"),
    ],
)
def test_deploy_refuses_parameters_that_break_the_economics(
    option: list[str], needle: str, tmp_path: Path
) -> None:
    # A dead RPC: the values are refused before anything is sent (or deployed).
    out = tmp_path / "deployments.json"
    result = memjit("deploy", "--rpc", "http://127.0.0.1:9", "--out", str(out), *option)
    assert_one_line_error(result, needle)
    assert not out.exists()


def test_verbose_errors_carry_the_traceback():
    result = memjit("-v", "deploy", "--rpc", "http://127.0.0.1:9")
    assert result.returncode == 1 and "Traceback" in result.stderr


def test_deploy_to_anvil_records_the_addresses(anvil, tmp_path: Path):
    out = tmp_path / "deployments.json"
    result = memjit("deploy", "--rpc", anvil.url, "--out", str(out), "--json")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    record = json.loads(out.read_text())
    assert record["31337"] == printed
    assert {"swt", "registry", "oracle"} <= printed.keys()
    # the verifier of the packaged development keys, wired into the oracle
    chain = connect(anvil.url)
    assert Verifier(chain, printed["verifier"]).public_input_count() == 10
    assert "INSECURE" in result.stderr


def test_bad_private_key_is_named(anvil):
    result = memjit("deploy", "--rpc", anvil.url, env={"MEMJIT_PRIVATE_KEY": "0x1234"})
    assert_one_line_error(result, "MEMJIT_PRIVATE_KEY", "32 bytes")


@pytest.mark.parametrize(
    "given,expected",
    [("wrong", "wrong password"), ("right", "insufficient funds")],
    ids=["wrong-password", "unfunded-account"],
)
def test_keystore_problems_are_one_clear_line(anvil, tmp_path: Path, given: str, expected: str):
    keystore = tmp_path / "key.json"
    keystore.write_text(json.dumps(Account.encrypt(Account.create().key, "right")))
    env = {"MEMJIT_KEYSTORE_PASSWORD": given}
    result = memjit("deploy", "--rpc", anvil.url, "--keystore", str(keystore), env=env)
    assert_one_line_error(result, expected)


def test_chain_up_detached_then_down(tmp_path: Path):
    from protocol.chain.anvil import free_port

    port = str(free_port())
    up = memjit("chain", "up", "--detach", "--port", port)
    assert up.returncode == 0, up.stderr
    try:
        deployed = memjit("deploy", "--rpc", f"http://127.0.0.1:{port}")
        assert deployed.returncode == 0, deployed.stderr
        assert "UtilityOracle" in deployed.stdout
        again = memjit("chain", "up", "--detach", "--port", port)
        assert_one_line_error(again, "already in use")
    finally:
        down = memjit("chain", "down", "--port", port)
    assert down.returncode == 0, down.stderr
    assert_one_line_error(memjit("chain", "down", "--port", port), "no detached anvil")


def test_stake_from_the_command_line_and_errors_name_the_cause(anvil, tmp_path: Path):
    rpc = ["--rpc", anvil.url]
    assert memjit("deploy", *rpc).returncode == 0
    assert memjit("faucet", "500", *rpc, "--account", "3").returncode == 0
    low = memjit(
        "worker",
        "register",
        "--cid",
        "bafkrei-cli",
        "--stake",
        "5",
        "--capability",
        "digits-8x8",
        *rpc,
        "--account",
        "3",
    )
    assert_one_line_error(
        low, "WorkerRegistryStakeTooLow(stake=5000000000000000000, minStake=100000000000000000000)"
    )
    ok = memjit(
        "worker",
        "register",
        "--cid",
        "bafkrei-cli",
        "--stake",
        "120",
        "--capability",
        "digits-8x8",
        *rpc,
        "--account",
        "3",
        "--json",
    )
    assert ok.returncode == 0, ok.stderr
    wid = json.loads(ok.stdout)["worker_id"]
    status = memjit("worker", "status", wid, *rpc, "--json")
    assert status.returncode == 0, status.stderr
    shown = json.loads(status.stdout)
    assert (shown["status"], shown["stake_wei"], shown["capability"]) == (
        "active",
        str(120 * 10**18),
        "digits-8x8",
    )
    assert_one_line_error(memjit("worker", "status", "0x1234", *rpc), "64 hex digits")
    assert_one_line_error(memjit("worker", "status", "0x" + "ab" * 32, *rpc), "no worker")
    assert_one_line_error(memjit("faucet", "lots", *rpc), "not an SWT amount")


def test_commands_without_a_deployment_say_so(anvil):
    result = memjit("worker", "status", "0x" + "ab" * 32, "--rpc", anvil.url)
    assert_one_line_error(result, "memjit deploy")


@pytest.mark.anvil
def test_a_chain_that_is_not_a_devnet_needs_a_real_key_and_has_no_faucet():
    from protocol.chain.anvil import running_anvil

    with running_anvil(chain_id=10) as op_like:
        rpc = ["--rpc", op_like.url]
        assert_one_line_error(
            memjit("deploy", *rpc), "chain 10 is not a local devnet", "MEMJIT_PRIVATE_KEY"
        )
        # anvil's account 0, passed explicitly as a user would pass their own key.
        key = {
            "MEMJIT_PRIVATE_KEY": "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
        }
        assert memjit("deploy", *rpc, env=key).returncode == 0
        assert_one_line_error(memjit("faucet", "1", *rpc, env=key), "SWTFaucetDisabled(chainId=10)")
