"""The swarm of real node processes on a real anvil: a request sent to one node is served by
another that has the capability, with modules fetched from a third and verified; and a swarm
that loses a third of its nodes mid-workload (SIGKILL) serves every request all the same."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oracle.datasets import load_digits_test
from protocol.chain import MemJitContracts, RoundStatus
from protocol.chain.signers import devnet_signer
from protocol.store.local import LocalStore
from tests.helpers import assert_one_line_error, memjit
from tests.test_node import Node

CAPABILITY = "digits-8x8"


class Swarm:
    """Node processes, each with a home of its own (journal, store, identity) and the test's
    deployment record; executors sign as their own operator account."""

    def __init__(self, network: Any, tmp_path: Path) -> None:
        self.anvil, self.mj, self.items, self.settings = network
        self.tmp_path = tmp_path
        self.nodes: list[Node] = []
        self.homes: list[Path] = []

    def home(self, name: str, with_modules: bool) -> Path:
        home = self.tmp_path / name
        home.mkdir()
        shutil.copy(self.settings.deployments_file, home / "deployments.json")
        if with_modules:
            shutil.copytree(self.settings.blocks_dir, home / "store")
        return home

    def start(self, name: str, *args: str, account: int = 0, modules: bool = False) -> Node:
        home = self.home(name, modules)
        if account:
            grant_operator(self.mj, account)
        bootstrap = ("--bootstrap", self.nodes[0].swarm_address) if self.nodes else ("--swarm",)
        node = Node(
            self.anvil.url, *bootstrap, "--swarm-port", "0", "--account", str(account), *args,
            env={"MEMJIT_HOME": str(home)},
        )  # fmt: skip
        self.nodes.append(node)
        self.homes.append(home)
        return node

    def stop(self) -> None:
        for node in self.nodes:
            if node.process.poll() is None:
                node.process.kill()
                node.process.wait(timeout=30)


def grant_operator(mj: MemJitContracts, account: int) -> None:
    """As an operator would: `memjit operator add ADDRESS`, signed by the admin."""
    address = devnet_signer(mj.chain, account).address
    done = memjit("operator", "add", address, "--rpc", str(mj.chain.url))
    assert done.returncode == 0 and "is an operator" in done.stdout, done.stderr


def peer_id(node: Node) -> str:
    return node.swarm_address.rsplit("/", 1)[1]


@pytest.fixture
def swarm(network: Any, tmp_path: Path) -> Iterator[Swarm]:
    started = Swarm(network, tmp_path)
    yield started
    started.stop()


def test_a_request_to_one_node_runs_on_another_with_modules_fetched_from_a_third(swarm: Swarm):
    holder = swarm.start("holder", "--route-only", modules=True)  # first: it seeds no one
    gateway = swarm.start("gateway", "--route-only")
    executor = swarm.start("executor", "--capability", CAPABILITY, account=5)
    executor_store = LocalStore(swarm.homes[2] / "store")
    assert not list(executor_store.cids())

    status, result = gateway.post(f"/v1/requests/{CAPABILITY}", swarm.items.read_bytes())
    assert status == 200, result
    assert result["node"] == peer_id(executor)
    assert result["answers"] == list(load_digits_test().labels[:5])
    mj = swarm.mj
    round_status = mj.rounds.get(result["round_id"]).status
    assert RoundStatus(round_status) == RoundStatus.CLOSED
    # The executor had no module: it fetched each from the holder, verified, and ran them all.
    cids = {w["cid"] for w in result["workers"]}
    assert all(w["failure"] != "unavailable" for w in result["workers"])
    assert cids <= set(executor_store.cids())
    assert all(executor_store.get(cid) for cid in cids)  # get() checks each block's CID
    swarm_health = executor.get("/v1/health")[1]["swarm"]
    assert swarm_health["modules_fetched"] == len(cids) == 4
    assert holder.get("/v1/health")[1]["swarm"]["modules_served"] >= len(cids)

    _, health = gateway.get("/v1/health")
    assert health["requests_routed"] == 1 and health["capabilities"] == {}
    # the operator's view, through the CLI
    found = memjit("swarm", "find", CAPABILITY, "--node", gateway.url, "--json")
    assert found.returncode == 0, found.stderr
    assert [p["peer"] for p in json.loads(found.stdout)] == [peer_id(executor)]
    peers = memjit("swarm", "peers", "--node", gateway.url, "--json")
    assert {p["peer"] for p in json.loads(peers.stdout)} == {peer_id(holder), peer_id(executor)}
    text = memjit("swarm", "peers", "--node", gateway.url)
    assert text.returncode == 0 and "2 peers" in text.stdout
    for node in swarm.nodes:
        code, output = node.stop()
        assert code == 0, output
        assert "Traceback" not in output


def test_the_swarm_serves_every_request_while_a_third_of_its_nodes_are_killed(swarm: Swarm):
    gateway = swarm.start("gateway", "--route-only")
    holders = [swarm.start(f"holder{i}", "--route-only", modules=True) for i in range(2)]
    relays = [swarm.start(f"relay{i}", "--route-only") for i in range(2)]
    executors = [swarm.start(f"executor{i}", account=5 + i) for i in range(4)]
    assert len(swarm.nodes) == 9
    data = swarm.items.read_bytes()
    expected = list(load_digits_test().labels[:5])

    results: list[tuple[int, dict[str, Any]]] = []

    def workload() -> None:
        for _ in range(5):
            results.append(gateway.post(f"/v1/requests/{CAPABILITY}", data))

    worker = threading.Thread(target=workload)
    worker.start()
    # Kill a third of the swarm: the executor busy with a round, another executor, a holder.
    busy = wait_for_busy(executors)
    victims = [busy, next(e for e in executors if e is not busy), holders[0]]
    for victim in victims:
        victim.process.kill()
    worker.join(timeout=600)
    assert not worker.is_alive()

    assert [status for status, _ in results] == [200] * 5, results
    assert all(result["answers"] == expected for _, result in results)
    survivors = {peer_id(e) for e in executors if e not in victims}
    assert {result["node"] for _, result in results[-2:]} <= survivors
    mj = swarm.mj
    for _, result in results:
        round_status = mj.rounds.get(result["round_id"]).status
        assert RoundStatus(round_status) == RoundStatus.CLOSED
    assert relays[0].get("/v1/health")[0] == 200  # the rest of the swarm serves on
    code, output = gateway.stop()
    assert code == 0 and "Traceback" not in output, output
    assert f"peer {peer_id(busy)} hung up mid-reply" in output  # killed mid-round: rerouted


def wait_for_busy(executors: list[Node], timeout_s: float = 120) -> Node:
    """The executor in the middle of a round (its /v1/health says busy)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for executor in executors:
            if executor.get("/v1/health")[1].get("busy"):
                return executor
        time.sleep(0.05)
    raise AssertionError("no executor ever started a round")


def test_bootstrap_addresses_that_are_wrong_or_silent_are_clear_and_the_node_serves_on(
    network: Any, tmp_path: Path
):
    anvil = network[0]
    bad = memjit("node", "start", "--rpc", anvil.url, "--port", "0", "--bootstrap", "nonsense")
    assert_one_line_error(bad, "not a peer address", "nonsense")
    silent = "/ip4/127.0.0.1/tcp/9/p2p/12D3KooWLbDCAh6upEUdZ51Ho1hvkj2oSBJ7NjWAGUgkGFdN28Lt"
    node = Node(anvil.url, "--bootstrap", silent, "--swarm-port", "0")
    try:
        status, health = node.get("/v1/health")
        assert status == 200 and health["swarm"]["peer_id"] == peer_id(node)
        assert memjit("swarm", "peers", "--node", node.url, "--json").stdout.strip() == "[]"
        taken = node.swarm_address.split("/")[4]
        twin = memjit("node", "start", "--rpc", anvil.url, "--port", "0", "--swarm-port", taken)
        assert_one_line_error(twin, f"cannot listen on 127.0.0.1:{taken}")
    finally:
        code, output = node.stop()
    assert code == 0 and "Traceback" not in output
    assert f"bootstrap: peer {silent} does not answer" in output
    no_swarm = memjit("swarm", "peers", "--node", "http://127.0.0.1:9")
    assert_one_line_error(no_swarm, "unreachable")
    not_admin = memjit("operator", "add", "0x" + "11" * 20, "--rpc", anvil.url, "--account", "3")
    assert_one_line_error(not_admin, "AccessControl")
    assert_one_line_error(memjit("operator", "add", "0x12", "--rpc", anvil.url), "not an Ethereum")
