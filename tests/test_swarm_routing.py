"""Requests routed through the swarm, modules seeded and evicted: real py-libp2p nodes on
loopback in one trio process, each with a backend standing in for the node's engine (the
engine itself runs in tests/test_swarm_network.py, as real node processes on anvil)."""

from __future__ import annotations

from pathlib import Path

import pytest

from protocol.engine import RequestResult
from protocol.errors import InvalidModule, NoServingPeer, RoundFailed
from protocol.store.local import LocalStore
from protocol.swarm.node import Backend, SwarmNode
from protocol.swarm.shelf import Shelf
from tests.test_swarm_node import MODULE, run_swarm

CAPABILITY = "digits-8x8"


class FakeEngine(Backend):
    """Serves a request by fetching the module it needs (from the swarm when missing) and
    answering with the items themselves, the module's size as the round id and its own peer
    id as the only transaction; refuses modules that do not start like WebAssembly."""

    def __init__(self, cid: str = "", fail: Exception | None = None) -> None:
        self.node: SwarmNode | None = None
        self.cid = cid
        self.fail = fail
        self.served = 0
        self.purgeable: list[str] = []
        self.evicted_cids: list[str] = []

    async def execute(self, capability: str, data: bytes) -> RequestResult:
        assert self.node is not None
        if self.fail is not None:
            raise self.fail
        module = await self.node.fetch(self.cid)
        self.served += 1
        return RequestResult(
            capability, len(module), data, (), {"by": self.node.peer_id}, {"open": 0}
        )

    async def check(self, cid: str, data: bytes) -> None:
        if not data.startswith(b"\0asm"):
            raise InvalidModule("not WebAssembly")

    async def purge(self, candidates: list[str]) -> list[str]:
        return [cid for cid in candidates if cid in self.purgeable]

    async def evicted(self, cids: list[str]) -> None:
        self.evicted_cids.extend(cids)


def make_nodes(tmp_path: Path, count: int, capable: set[int], cid: str = "") -> list[SwarmNode]:
    nodes = []
    for i in range(count):
        backend = FakeEngine(cid)
        node = SwarmNode(
            LocalStore(tmp_path / f"node{i}"),
            (CAPABILITY,) if i in capable else (),
            backend=backend,
            scope="31337:0xoracle",
            shelf=Shelf(tmp_path / f"shelf{i}.json", capacity=3),
        )
        backend.node = node
        nodes.append(node)
    return nodes


def cid_of(data: bytes) -> str:
    from protocol.cid import cid_for

    return cid_for(data)


def test_a_request_runs_on_a_capable_peer_with_a_module_fetched_from_a_third(tmp_path: Path):
    cid = cid_of(MODULE)
    nodes = make_nodes(tmp_path, 12, capable={4, 8}, cid=cid)

    async def body(nodes: list[SwarmNode]) -> None:
        holder, caller = nodes[10], nodes[0]
        holder.store.put(MODULE)
        await holder.announce([cid])
        for node in (nodes[4], nodes[8]):
            await node.announce()
        result, peer = await caller.execute(CAPABILITY, b"\x01\x02")
        assert peer in {nodes[4].peer_id, nodes[8].peer_id}
        answered = (list(result.answers or b""), result.round_id, result.transactions["by"])
        assert answered == ([1, 2], len(MODULE), peer)
        executor = next(n for n in nodes if n.peer_id == peer)
        assert executor.store.get(cid) == MODULE  # fetched from the holder, verified, kept
        assert cid in executor.shelf
        assert executor.reputation.peers[holder.peer_id].bytes_served == len(MODULE)
        assert caller.reputation.peers[peer].successes == pytest.approx(1)
        assert not caller.store.has(cid)  # the caller never needed the module

    run_swarm(nodes, body)


def test_requests_route_around_a_dead_peer_and_a_failing_one(tmp_path: Path):
    cid = cid_of(MODULE)
    nodes = make_nodes(tmp_path, 10, capable={3, 6, 9}, cid=cid)

    async def body(nodes: list[SwarmNode]) -> None:
        caller, dead, broken, good = nodes[0], nodes[3], nodes[6], nodes[9]
        good.store.put(MODULE)
        for node in (dead, broken, good):
            await node.announce()
        assert isinstance(broken.backend, FakeEngine)
        broken.backend.fail = InvalidModule("this node's sandbox is broken")
        await dead.host.close()  # its provider record lingers; dials now fail
        # the caller tries the worst first, so both bad peers are met before the good one
        caller.reputation.outcome(dead.peer_id, succeeded=True)
        caller.reputation.outcome(broken.peer_id, succeeded=True)
        result, peer = await caller.execute(CAPABILITY, b"\x07")
        assert peer == good.peer_id and list(result.answers or b"") == [7]
        assert caller.reputation.rank([dead.peer_id, broken.peer_id, good.peer_id])[0] == peer

    run_swarm(nodes, body)


def test_a_failed_round_is_the_answer_and_a_capability_nobody_serves_is_clear(tmp_path: Path):
    nodes = make_nodes(tmp_path, 4, capable={2})

    async def body(nodes: list[SwarmNode]) -> None:
        caller, capable = nodes[0], nodes[2]
        assert isinstance(capable.backend, FakeEngine)
        capable.backend.fail = RoundFailed("round 7 abandoned: every worker failed")
        with pytest.raises(NoServingPeer, match="no node in the swarm serves"):
            await caller.execute(CAPABILITY, b"\x01")
        await capable.announce()
        with pytest.raises(RoundFailed, match="round 7 abandoned"):
            await caller.execute(CAPABILITY, b"\x01")  # not retried elsewhere: it spent gas

    run_swarm(nodes, body)


def test_a_published_module_is_seeded_to_the_closest_peers_who_evict_it_when_unused(
    tmp_path: Path,
):
    modules = [MODULE + bytes([i]) for i in range(4)]
    cids = [cid_of(m) for m in modules]
    nodes = make_nodes(tmp_path, 12, capable=set())

    async def body(nodes: list[SwarmNode]) -> None:
        publisher = nodes[0]
        for module in modules:
            publisher.store.put(module)
        holders = await publisher.seed(cids[0])
        assert len(holders) == 10  # SEED_FANOUT of the 11 other nodes
        for peer in holders:
            node = next(n for n in nodes if n.peer_id == peer)
            assert node.store.get(cids[0]) == modules[0] and cids[0] in node.shelf
        # junk is refused by the receivers' check, and counts against nobody but the sender
        junk = publisher.store.put(b"not a module")
        assert await publisher.seed(junk) == []
        # a shelf of three: the fourth module seeded evicts the least recently used (on a
        # node among the ten closest to all four modules' keys: at least 7 of the 11 are)
        every = set(holders)
        for cid in cids[1:]:
            every &= set(await publisher.seed(cid))
        target = next(n for n in nodes if n.peer_id in every)
        assert target.shelf.cids() == cids[1:] and not target.store.has(cids[0])
        backend = target.backend
        assert isinstance(backend, FakeEngine) and backend.evicted_cids == [cids[0]]
        # the module cache's purge drops an unused module; the publisher keeps its own
        backend.purgeable = [cids[1]]
        await target.maintain()
        assert not target.store.has(cids[1]) and cids[1] not in target.shelf
        assert isinstance(publisher.backend, FakeEngine)
        publisher.backend.purgeable = cids
        await publisher.maintain()
        assert all(publisher.store.has(cid) for cid in cids)

    run_swarm(nodes, body)
