"""One node of the swarm: a libp2p host with its Kademlia DHT and MemJit's fetch protocol.

Runs under trio (py-libp2p's event loop). A node serves the modules of its content store to
peers over ``/memjit/fetch/1.0.0`` (wire.py), announces them and its capabilities as DHT
provider records (keys.py), and fetches what it lacks from providers (fetching.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import multiaddr
import trio
from libp2p import new_host
from libp2p.abc import IHost, INetStream
from libp2p.custom_types import TProtocol
from libp2p.kad_dht import DHTMode, KadDHT
from libp2p.network.config import ConnectionConfig
from libp2p.network.stream.exceptions import StreamEOF
from libp2p.peer.id import ID as PeerID
from libp2p.peer.peerinfo import info_from_p2p_addr
from libp2p.tools.anyio_service import background_trio_service

from protocol.cid import parse_cid
from protocol.errors import ContentNotFound, MalformedMessage, MemJitError, SwarmError
from protocol.store.base import ContentStore
from protocol.swarm.fetching import fetch_verified
from protocol.swarm.keys import capability_key
from protocol.swarm.reputation import Reputation
from protocol.swarm.wire import Message, encode, read_message

log = logging.getLogger(__name__)

FETCH_PROTOCOL = TProtocol("/memjit/fetch/1.0.0")
#: One fetch, dial to last byte.
FETCH_TIMEOUT_S = 10.0
#: libp2p logs every stream a peer closes at WARNING, thousands per run.
for _name in ("libp2p", "multiaddr"):
    logging.getLogger(_name).setLevel(logging.ERROR)


def _connection_config() -> ConnectionConfig:
    # More than one connection per peer makes every dial wait a 250 ms "happy eyeballs" delay.
    return ConnectionConfig(max_connections_per_peer=1)


class _StreamReader:
    """Exact-length reads over a libp2p stream (whose read() raises StreamEOF at the end)."""

    def __init__(self, stream: INetStream) -> None:
        self.stream = stream
        self.buffer = bytearray()

    async def read_exactly(self, n: int) -> bytes:
        while len(self.buffer) < n:
            try:
                chunk = await self.stream.read(max(n - len(self.buffer), 65536))
            except StreamEOF:
                break
            if not chunk:
                break
            self.buffer += chunk
        data = bytes(self.buffer[:n])
        del self.buffer[:n]
        return data


@dataclass
class SwarmNode:
    store: ContentStore
    capabilities: tuple[str, ...] = ()
    reputation: Reputation = field(default_factory=Reputation)
    host: IHost = field(init=False)
    dht: KadDHT = field(init=False)

    def __post_init__(self) -> None:
        self.host = new_host(
            listen_addrs=[multiaddr.Multiaddr("/ip4/127.0.0.1/tcp/0")],
            connection_config=_connection_config(),
        )
        self.dht = KadDHT(self.host, DHTMode.SERVER)
        self.host.set_stream_handler(FETCH_PROTOCOL, self._serve_fetch)

    # -- life cycle ----------------------------------------------------------------------------

    async def run(
        self,
        port: int = 0,
        bootstrap: Iterable[str] = (),
        *,
        # trio.TaskStatus: Any because trio-typing's stubs (a libp2p dependency) shadow trio's
        task_status: Any = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Listen on 127.0.0.1:``port``, join through ``bootstrap`` addresses, serve until
        cancelled. ``task_status.started()`` once the node is reachable."""
        listen = multiaddr.Multiaddr(f"/ip4/127.0.0.1/tcp/{port}")
        async with self.host.run(listen_addrs=[listen]), background_trio_service(self.dht):
            for address in bootstrap:
                await self.connect(address)
            task_status.started()
            await trio.sleep_forever()

    @property
    def peer_id(self) -> str:
        return str(self.host.get_id())

    @property
    def address(self) -> str:
        """A multiaddr other nodes can bootstrap from: /ip4/…/tcp/…/p2p/<peer id>."""
        addr = self.host.get_addrs()[0]
        text = str(addr)
        return text if "/p2p/" in text else f"{text}/p2p/{self.peer_id}"

    async def connect(self, address: str) -> None:
        """Dial a peer and put it in the routing table; SwarmError if it does not answer."""
        try:
            info = info_from_p2p_addr(multiaddr.Multiaddr(address))
        except Exception as exc:  # multiaddr raises bare ValueErrors and its own types
            raise SwarmError(f"not a peer address {address!r}: {exc}") from None
        try:
            with trio.fail_after(FETCH_TIMEOUT_S):
                await self.host.connect(info)
        except Exception as exc:  # trio.TooSlowError, or py-libp2p's dial errors
            self.reputation.liveness(str(info.peer_id), answered=False)
            raise SwarmError(
                f"peer {address} does not answer: {str(exc) or type(exc).__name__}"
            ) from None
        self.reputation.liveness(str(info.peer_id), answered=True)
        await self.dht.routing_table.add_peer(info)

    # -- announcing and finding ----------------------------------------------------------------

    async def announce(self, cids: Iterable[str] = ()) -> None:
        """Provider records for this node's capabilities and the modules ``cids``."""
        for capability in self.capabilities:
            await self.dht.provide(capability_key(capability))
        for cid in cids:
            await self.dht.provide(cid)

    async def providers(self, key: str, count: int = 20) -> list[str]:
        """Peers with provider records for ``key`` (a CID), other than this node.

        py-libp2p's ``find_providers`` answers from this node's own records when it has any,
        without asking the network; records of dead or lying peers would then hide the good
        ones. So this node's records are joined by those its closest peers to the key hold,
        asked all at once (a dead peer costs one timeout, not one per peer).
        """
        dht_key = parse_cid(key).multihash
        store = self.dht.provider_store
        found = {info.peer_id: info for info in store.get_providers(dht_key)}

        async def ask(peer: PeerID) -> None:
            try:
                # private in py-libp2p 0.8 (pinned <0.9): one GET_PROVIDERS to one peer
                infos, _closer = await store._get_providers_from_peer_with_closers(peer, dht_key)
            except Exception as exc:  # a dead or hostile peer: its records are simply missing
                self.reputation.liveness(str(peer), answered=False)
                log.info("GET_PROVIDERS to %s failed: %s", peer, exc)
                return
            found.update((info.peer_id, info) for info in infos)

        closest = await self.dht.peer_routing.find_closest_peers_network(dht_key, count=count)
        async with trio.open_nursery() as nursery:
            for peer in closest:
                if peer != self.host.get_id():
                    nursery.start_soon(ask, peer)
        for info in found.values():  # remember how to reach them
            self.host.get_peerstore().add_addrs(info.peer_id, info.addrs, 3600)
        return [str(pid) for pid in found if pid != self.host.get_id()]

    async def find(self, capability: str) -> list[str]:
        """Peers that announced ``capability``, best reputation first."""
        return self.reputation.rank(await self.providers(capability_key(capability)))

    # -- modules -------------------------------------------------------------------------------

    async def fetch(self, cid: str) -> bytes:
        """The module from the local store, else from a provider (verified), then kept and
        announced: popular modules spread to the nodes that use them."""
        if self.store.has(cid):
            return self.store.get(cid)
        data, peer = await fetch_verified(
            cid, await self.providers(cid), self.fetch_from, self.reputation
        )
        self.store.put(data)
        await self.dht.provide(cid)
        log.info("fetched %s from %s", cid, peer)
        return data

    async def fetch_from(self, peer: str, cid: str) -> bytes:
        """The block ``peer`` sends for ``cid`` over the fetch protocol, unverified (the
        caller verifies: see fetching.py)."""
        try:
            with trio.fail_after(FETCH_TIMEOUT_S):
                stream = await self.host.new_stream(PeerID.from_base58(peer), [FETCH_PROTOCOL])
                try:
                    await stream.write(encode(Message("fetch", {"cid": cid})))
                    reply = await read_message(
                        _StreamReader(stream).read_exactly, ("content", "error")
                    )
                finally:
                    await stream.close()
        except trio.TooSlowError:
            raise TimeoutError(f"peer {peer} took over {FETCH_TIMEOUT_S} s") from None
        except MemJitError:
            raise
        except Exception as exc:  # py-libp2p's stream and dial errors share no base class
            raise SwarmError(f"peer {peer}: {type(exc).__name__}: {exc}") from None
        if reply.kind == "error":
            raise ContentNotFound(f"peer {peer}: {reply.fields['error']}")
        if reply.fields["cid"] != cid:
            self.reputation.misbehaved(peer)
            raise MalformedMessage(f"peer {peer} answered for {reply.fields['cid']}, not {cid}")
        return reply.body

    async def _serve_fetch(self, stream: INetStream) -> None:
        peer = str(stream.muxed_conn.peer_id)
        try:
            request = await read_message(_StreamReader(stream).read_exactly, ("fetch",))
            cid = request.fields["cid"]
            try:
                reply = Message("content", {"cid": cid}, self.store.get(cid))
            except MemJitError as exc:
                reply = Message("error", {"error": str(exc), "kind": type(exc).__name__})
            await stream.write(encode(reply))
        except MalformedMessage as exc:
            self.reputation.misbehaved(peer)
            log.warning("peer %s sent a malformed fetch: %s", peer, exc)
        except Exception as exc:  # a peer's stream dying must not take the handler down
            log.info("fetch from %s failed: %s", peer, exc)
        finally:
            await stream.close()
