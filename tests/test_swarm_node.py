"""Real py-libp2p nodes on loopback, in one trio process: modules found through the Kademlia
DHT, fetched from a peer and verified against their CID, liars and malformed messages charged
to the peer that sent them, and the node serving on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import trio
from libp2p.peer.id import ID as PeerID

from protocol.errors import SwarmError
from protocol.store.local import LocalStore
from protocol.swarm.node import FETCH_PROTOCOL, SwarmNode

MODULE = b"\0asm\x01\0\0\0" + bytes(range(256)) * 8


class LyingStore(LocalStore):
    """A hostile peer: serves other bytes under any CID it holds."""

    def get(self, cid: str) -> bytes:
        return b"\0asm\x01\0\0\0" + b"lies" * 100


def swarm(tmp_path: Path, count: int, capable: tuple[int, ...] = ()) -> list[SwarmNode]:
    return [
        SwarmNode(LocalStore(tmp_path / f"node{i}"), ("digits-8x8",) if i in capable else ())
        for i in range(count)
    ]


def run_swarm(nodes: list[SwarmNode], body: Callable[[list[SwarmNode]], Awaitable[None]]) -> None:
    async def main() -> None:
        with trio.fail_after(120):
            async with trio.open_nursery() as nursery:
                await nursery.start(nodes[0].run)
                for node in nodes[1:]:
                    await nursery.start(node.run, 0, [nodes[0].address])
                async with trio.open_nursery() as bootstrap:
                    for node in nodes:
                        bootstrap.start_soon(node.dht.refresh_routing_table)
                await body(nodes)
                nursery.cancel_scope.cancel()

    trio.run(main)


def test_a_module_is_found_fetched_verified_and_then_served_by_the_fetcher(tmp_path: Path) -> None:
    async def body(nodes: list[SwarmNode]) -> None:
        cid = nodes[5].store.put(MODULE)
        for node in nodes:
            await node.announce([cid] if node is nodes[5] else [])
        assert await nodes[9].fetch(cid) == MODULE
        assert nodes[9].store.get(cid) == MODULE  # verified, kept
        assert nodes[9].reputation.peers[nodes[5].peer_id].bytes_served == len(MODULE)
        # the fetcher now serves it too: popular modules spread to the nodes that use them
        assert await nodes[2].fetch_from(nodes[9].peer_id, cid) == MODULE
        capable = {nodes[3].peer_id, nodes[7].peer_id}
        assert set(await nodes[1].find("digits-8x8")) == capable

    run_swarm(swarm(tmp_path, 10, capable=(3, 7)), body)


def test_a_peer_serving_wrong_bytes_is_skipped_and_loses_reputation(tmp_path: Path) -> None:
    nodes = swarm(tmp_path, 4)
    nodes[1] = SwarmNode(LyingStore(tmp_path / "liar"))

    async def body(nodes: list[SwarmNode]) -> None:
        liar, honest, fetcher = nodes[1], nodes[2], nodes[3]
        cid = honest.store.put(MODULE)
        liar.store.put(MODULE)
        await liar.announce([cid])
        await honest.announce([cid])
        fetcher.reputation.outcome(liar.peer_id, succeeded=True)  # the liar is asked first
        assert await fetcher.fetch(cid) == MODULE
        assert fetcher.reputation.peers[liar.peer_id].misbehaviour == pytest.approx(1)
        assert fetcher.reputation.rank([liar.peer_id, honest.peer_id])[0] == honest.peer_id

    run_swarm(nodes, body)


def test_a_malformed_message_is_charged_and_the_node_serves_on(tmp_path: Path) -> None:
    async def body(nodes: list[SwarmNode]) -> None:
        server, hostile, client = nodes
        cid = server.store.put(MODULE)
        await server.announce([cid])
        stream = await hostile.host.new_stream(PeerID.from_base58(server.peer_id), [FETCH_PROTOCOL])
        await stream.write(b"\xff\xff\xff\xffgarbage")
        await stream.close()
        with trio.fail_after(10):
            while hostile.peer_id not in server.reputation.peers:
                await trio.sleep(0.01)
        assert server.reputation.peers[hostile.peer_id].misbehaviour == pytest.approx(1)
        assert await client.fetch(cid) == MODULE  # still serving

    run_swarm(swarm(tmp_path, 3), body)


@pytest.mark.parametrize(
    "address,why",
    [
        (
            "/ip4/127.0.0.1/tcp/9/p2p/12D3KooWLbDCAh6upEUdZ51Ho1hvkj2oSBJ7NjWAGUgkGFdN28Lt",
            "does not answer",
        ),
        ("not-a-multiaddr", "not a peer address"),
        ("/ip4/127.0.0.1/tcp/9", "not a peer address"),  # no peer id
    ],
)
def test_a_bootstrap_address_that_does_not_answer_is_a_clear_error(
    tmp_path: Path, address: str, why: str
) -> None:
    async def body(nodes: list[SwarmNode]) -> None:
        with pytest.raises(SwarmError, match=why):
            await nodes[0].connect(address)

    run_swarm(swarm(tmp_path, 1), body)
