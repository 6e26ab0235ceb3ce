"""One node of the swarm: a libp2p host with its Kademlia DHT and MemJit's three protocols.

Runs under trio (py-libp2p's event loop); service.py drives it from ordinary threads.

- ``/memjit/fetch/1.0.0``: a peer asks for a module by CID and gets the block (verified by
  the asker, fetching.py);
- ``/memjit/seed/1.0.0``: a peer offers a module; the node fetches it from that peer, checks
  it (the backend compiles it), keeps it on its shelf and announces it;
- ``/memjit/execute/1.0.0``: a peer sends a request for a capability this node serves; the
  backend runs it as a round and the result goes back, as the HTTP API would return it.

The node announces its capabilities (scoped to one deployment: keys.py) and the modules it
holds as DHT provider records. Decisions:

- **Seeding goes to the peers closest to the module's key**, not to the node's own
  neighbours: a provider lookup for the module visits exactly those peers first, and nodes
  that seed the same module converge on the same peers (who answer "already have it")
  instead of spreading copies at random.
- **A fetched module is seeded too** (the node compiles it to run it, which is the moment the
  design names): popular modules end up on many nodes.
- **Requests go to the best-reputed peer that serves the capability**; when it does not
  answer (dead, reset, too slow) the next one is tried, up to ``EXECUTE_ATTEMPTS``. A
  round that failed *at* the peer (``RoundFailed``, ``NoEligibleWorkers``) is the answer,
  not retried: another node would open another round on the same chain and spend gas on it.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import multiaddr
import trio
from libp2p import new_host
from libp2p.abc import IHost, INetStream
from libp2p.crypto.ed25519 import create_new_key_pair
from libp2p.custom_types import TProtocol
from libp2p.kad_dht import DHTMode, KadDHT
from libp2p.network.config import ConnectionConfig
from libp2p.peer.id import ID as PeerID
from libp2p.peer.peerinfo import PeerInfo, info_from_p2p_addr
from libp2p.tools.anyio_service import background_trio_service

from protocol import errors
from protocol.cid import parse_cid
from protocol.engine.results import RequestResult
from protocol.errors import (
    ContentNotFound,
    EngineError,
    MalformedMessage,
    MemJitError,
    NoEligibleWorkers,
    NoServingPeer,
    RoundFailed,
    SwarmError,
    UnknownCapability,
)
from protocol.store.base import ContentStore
from protocol.store.local import LocalStore
from protocol.swarm.dht_keys import capability_key
from protocol.swarm.fetching import fetch_verified
from protocol.swarm.reputation import PeerStanding, Reputation
from protocol.swarm.shelf import Shelf
from protocol.swarm.streams import PeerUnreachable, exchange, respond
from protocol.swarm.wire import Message

log = logging.getLogger(__name__)

FETCH_PROTOCOL = TProtocol("/memjit/fetch/1.0.0")
SEED_PROTOCOL = TProtocol("/memjit/seed/1.0.0")
EXECUTE_PROTOCOL = TProtocol("/memjit/execute/1.0.0")
#: One fetch, dial to last byte.
FETCH_TIMEOUT_S = 10.0
#: One seed: the receiver fetches and compiles the module before it answers.
SEED_TIMEOUT_S = 30.0
#: One remote round: a proof and two transactions, behind the peer's other requests.
EXECUTE_TIMEOUT_S = 300.0
#: Peers tried for one request before giving up.
EXECUTE_ATTEMPTS = 3
#: Peers a published or compiled module is seeded to.
SEED_FANOUT = 10
#: How often the node announces new modules, drops purged ones, and re-dials its bootstrap
#: peers when its routing table is empty.
MAINTENANCE_S = 30.0
#: Errors a peer answers that end a request rather than send it to the next peer: the round
#: failed on the chain every node shares, so another node would fail it the same way.
FINAL_ERRORS = (NoEligibleWorkers, RoundFailed)

#: libp2p logs every stream a peer closes at WARNING and every dead peer's stream at ERROR,
#: thousands per run; the swarm logs what it makes of them itself.
for _name in ("libp2p", "multiaddr"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)


class Backend:
    """What a swarm node needs from the MemJit node it belongs to. This base serves no
    request, keeps any module and purges nothing (a node that only routes and shares)."""

    async def execute(self, capability: str, data: bytes) -> RequestResult:
        """Serve one request here, as a round."""
        raise UnknownCapability(f"this node does not serve {capability!r}")

    async def check(self, cid: str, data: bytes) -> None:
        """Raise (a MemJitError) if the module ``cid`` is not worth keeping."""

    async def purge(self, candidates: list[str]) -> list[str]:
        """Which of ``candidates`` (the modules kept for the swarm) are no longer worth
        keeping: the module cache's low-utility purge."""
        return []

    async def evicted(self, cids: list[str]) -> None:
        """``cids`` left the store: forget whatever else the node holds for them."""


def parse_peer_address(address: str) -> PeerInfo:
    """A peer's multiaddr, /ip4/…/tcp/…/p2p/<peer id>; SwarmError naming a bad one."""
    try:
        return info_from_p2p_addr(multiaddr.Multiaddr(address))
    except Exception as exc:  # multiaddr raises bare ValueErrors and its own types
        raise SwarmError(f"not a peer address {address!r}: {exc}") from None


def _check_port_free(host: str, port: int) -> None:
    """SwarmError if ``host:port`` is taken. py-libp2p listens with SO_REUSEPORT, so a second
    node on the same port would silently share its connections with the first."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # SO_REUSEADDR: a restart may reuse a port its last run left in TIME_WAIT, but
        # (on Linux) never one a live listener holds
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise SwarmError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def _connection_config() -> ConnectionConfig:
    # More than one connection per peer makes every dial wait a 250 ms "happy eyeballs" delay.
    return ConnectionConfig(max_connections_per_peer=1)


@dataclass
class SwarmNode:
    store: ContentStore
    capabilities: tuple[str, ...] = ()
    reputation: Reputation = field(default_factory=Reputation)
    backend: Backend = field(default_factory=Backend)
    #: The deployment this node's capabilities are served on (keys.py).
    scope: str = ""
    shelf: Shelf = field(default_factory=Shelf)
    #: 32 bytes that fix the node's Ed25519 identity (its peer id); None: a new one per run.
    identity: bytes | None = None
    host: IHost = field(init=False)
    dht: KadDHT = field(init=False)

    def __post_init__(self) -> None:
        self.host = new_host(
            key_pair=None if self.identity is None else create_new_key_pair(self.identity),
            listen_addrs=[multiaddr.Multiaddr("/ip4/127.0.0.1/tcp/0")],
            connection_config=_connection_config(),
        )
        self.dht = KadDHT(self.host, DHTMode.SERVER)
        self.host.set_stream_handler(FETCH_PROTOCOL, self._serve_fetch)
        self.host.set_stream_handler(SEED_PROTOCOL, self._serve_seed)
        self.host.set_stream_handler(EXECUTE_PROTOCOL, self._serve_execute)
        self._announced: set[str] = set()
        #: Modules this node served to peers, and fetched from them (for /v1/health).
        self.modules_served = 0
        self.modules_fetched = 0
        self._bootstrap: list[str] = []
        self._nursery: trio.Nursery | None = None

    # -- life cycle ----------------------------------------------------------------------------

    async def run(
        self,
        port: int = 0,
        bootstrap: Iterable[str] = (),
        *,
        host: str = "127.0.0.1",
        maintain: bool = False,
        # trio.TaskStatus: Any because trio-typing's stubs (a libp2p dependency) shadow trio's
        task_status: Any = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Listen on ``host``:``port``, join through ``bootstrap`` addresses, serve until
        cancelled. ``task_status.started()`` once the node is reachable. With ``maintain``,
        the node also fills its routing table through the bootstrap peers, announces what it
        serves and holds, and every ``MAINTENANCE_S`` announces new modules, evicts purged
        ones, and joins again (announcing everything again) if it has no peer left."""
        listen = multiaddr.Multiaddr(f"/ip4/{host}/tcp/{port}")
        self._bootstrap = list(bootstrap)
        _check_port_free(host, port)
        async with (
            self.host.run(listen_addrs=[listen]),
            background_trio_service(self.dht),
            trio.open_nursery() as nursery,
        ):
            if not self.host.get_addrs():  # py-libp2p logs a failed listen and carries on
                raise SwarmError(f"cannot listen on {host}:{port}")
            self._nursery = nursery
            await self._join()
            if maintain:
                await self.dht.refresh_routing_table()
                await self.announce()
                await self.maintain()
                nursery.start_soon(self._maintenance_loop)
            task_status.started()
            await trio.sleep_forever()

    async def _join(self) -> None:
        """Dial the bootstrap peers; one that does not answer is logged (and rated down), and
        the node carries on: the maintenance loop dials again while the table is empty."""
        for address in self._bootstrap:
            try:
                await self.connect(address)
            except SwarmError as exc:
                log.warning("bootstrap: %s", exc)

    async def _maintenance_loop(self) -> None:
        while True:
            await trio.sleep(MAINTENANCE_S)
            try:
                if self.dht.routing_table.size() == 0 and self._bootstrap:
                    await self._join()
                    await self.dht.refresh_routing_table()
                    await self.announce(self._announced)  # what no peer heard while alone
                await self.maintain()
            except Exception as exc:  # one bad round of upkeep must not stop the node
                log.warning("swarm maintenance failed: %s", exc)

    async def maintain(self) -> None:
        """Announce the modules not yet announced (seeding the node's own: a module
        published into the store is seeded here), and evict what the backend purged.
        Announced records need no repeating: py-libp2p republishes them before they expire."""
        if isinstance(self.store, LocalStore):
            new = sorted(set(self.store.cids()) - self._announced)
            await self._provide_modules(new)
            for cid in new:
                if cid not in self.shelf:
                    self._seed_soon(cid)
        purged = await self.backend.purge(self.shelf.cids())
        await self._evict(self.shelf.discard(purged))

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
        info = parse_peer_address(address)
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

    def peers(self) -> list[PeerStanding]:
        """The routing table's peers, best reputation first, with how to reach them."""
        infos = {str(info.peer_id): info for info in self.dht.routing_table.get_peer_infos()}
        return [
            PeerStanding(
                peer, self.reputation.score(peer), tuple(str(a) for a in infos[peer].addrs)
            )
            for peer in self.reputation.rank(infos)
        ]

    # -- announcing and finding ----------------------------------------------------------------

    def _capability_key(self, capability: str) -> str:
        return capability_key(capability, self.scope)

    async def announce(self, cids: Iterable[str] = ()) -> None:
        """Provider records for this node's capabilities and the modules ``cids``."""
        for capability in self.capabilities:
            await self.dht.provide(self._capability_key(capability))
        await self._provide_modules(cids)

    async def _provide_modules(self, cids: Iterable[str]) -> None:
        for cid in list(cids):  # a copy: the set of announced modules may be what is given
            await self.dht.provide(cid)
            self._announced.add(cid)

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
        return self.reputation.rank(await self.providers(self._capability_key(capability)))

    # -- modules -------------------------------------------------------------------------------

    async def fetch(self, cid: str) -> bytes:
        """The module from the local store, else from a provider (verified), then kept on the
        shelf, announced and seeded: popular modules spread to the nodes that use them."""
        if self.store.has(cid):
            self.shelf.use(cid)
            return self.store.get(cid)
        data, peer = await fetch_verified(
            cid, await self.providers(cid), self.fetch_from, self.reputation
        )
        await self._keep(cid, data)
        self.modules_fetched += 1
        self._seed_soon(cid)
        log.info("fetched %s from %s", cid, peer)
        return data

    async def fetch_from(self, peer: str, cid: str) -> bytes:
        """The block ``peer`` sends for ``cid`` over the fetch protocol, unverified (the
        caller verifies: see fetching.py)."""
        reply = await exchange(
            self.host, peer, FETCH_PROTOCOL, Message("fetch", {"cid": cid}),
            ("content", "error"), FETCH_TIMEOUT_S,
        )  # fmt: skip
        if reply.kind == "error":
            raise ContentNotFound(f"peer {peer}: {reply.fields['error']}")
        if reply.fields["cid"] != cid:
            self.reputation.misbehaved(peer)
            raise MalformedMessage(f"peer {peer} answered for {reply.fields['cid']}, not {cid}")
        return reply.body

    async def seed(self, cid: str, fanout: int = SEED_FANOUT) -> list[str]:
        """Offer the module ``cid`` (held here) to the ``fanout`` peers closest to its key;
        the peers that now hold it. A peer's answer counts for (or against) its reputation:
        keeping a module means it fetched and compiled it."""
        closest = await self.dht.peer_routing.find_closest_peers_network(
            parse_cid(cid).multihash, count=fanout
        )
        holders: list[str] = []

        async def offer(peer: str) -> None:
            try:
                reply = await exchange(
                    self.host, peer, SEED_PROTOCOL, Message("seed", {"cid": cid}),
                    ("result", "error"), SEED_TIMEOUT_S,
                )  # fmt: skip
            except MemJitError as exc:
                self.reputation.liveness(peer, answered=False)
                log.info("seeding %s to %s failed: %s", cid, peer, exc)
                return
            self.reputation.liveness(peer, answered=True)
            kept = reply.kind == "result" and reply.fields["result"].get("kept") is True
            self.reputation.outcome(peer, succeeded=kept)
            if kept:
                holders.append(peer)

        async with trio.open_nursery() as nursery:
            for peer in closest:
                if peer != self.host.get_id():
                    nursery.start_soon(offer, str(peer))
        log.info("seeded %s to %d of %d peers", cid, len(holders), len(closest))
        return holders

    def _seed_soon(self, cid: str) -> None:
        if self._nursery is not None:
            self._nursery.start_soon(self._seed_quietly, cid)

    async def _seed_quietly(self, cid: str) -> None:
        try:
            await self.seed(cid)
        except Exception as exc:  # seeding is best effort; the module stays served here
            log.info("seeding %s failed: %s", cid, exc)

    async def _keep(self, cid: str, data: bytes) -> None:
        """Store a verified module for the swarm, announce it, evict what no longer fits."""
        self.store.put(data)
        evicted = self.shelf.add(cid)
        await self._provide_modules([cid])
        await self._evict(evicted)

    async def _evict(self, cids: list[str]) -> None:
        if not cids:
            return
        provider_store = self.dht.provider_store
        for cid in cids:
            if isinstance(self.store, LocalStore):
                self.store.remove(cid)
            key = parse_cid(cid).multihash
            provider_store.providing_keys.discard(key)  # no more republishing
            provider_store.providers.get(key, {}).pop(str(self.host.get_id()), None)
            self._announced.discard(cid)
        await self.backend.evicted(cids)
        log.info("evicted %d modules: %s", len(cids), ", ".join(cids))

    # -- requests ------------------------------------------------------------------------------

    async def execute(self, capability: str, data: bytes) -> tuple[RequestResult, str]:
        """Serve a request on a peer that has the capability; the result and that peer."""
        peers = [p for p in await self.find(capability) if p != self.peer_id]
        if not peers:
            raise NoServingPeer(f"no node in the swarm serves {capability!r}")
        tried: list[str] = []
        for peer in peers[:EXECUTE_ATTEMPTS]:
            request = Message("execute", {"capability": capability}, data)
            try:
                reply = await exchange(
                    self.host, peer, EXECUTE_PROTOCOL, request, ("result", "error"),
                    EXECUTE_TIMEOUT_S,
                )  # fmt: skip
            except (PeerUnreachable, MalformedMessage) as exc:
                self.reputation.liveness(peer, answered=False)
                self.reputation.outcome(peer, succeeded=False)
                log.warning("request for %s: %s; trying the next peer", capability, exc)
                tried.append(f"{peer}: {exc}")
                continue
            self.reputation.liveness(peer, answered=True)
            if reply.kind == "result":
                try:
                    result = RequestResult.from_json(reply.fields["result"])
                except EngineError as exc:  # a peer that answers nonsense
                    self.reputation.misbehaved(peer)
                    log.warning("request for %s: peer %s: %s", capability, peer, exc)
                    tried.append(f"{peer}: {exc}")
                    continue
                self.reputation.outcome(peer, succeeded=True)
                return result, peer
            error = errors.rebuild(reply.fields["kind"], f"peer {peer}: {reply.fields['error']}")
            if isinstance(error, FINAL_ERRORS):
                raise error
            self.reputation.outcome(peer, succeeded=False)
            log.warning("request for %s: %s; trying the next peer", capability, error)
            tried.append(f"{peer}: {reply.fields['kind']}")
        raise NoServingPeer(
            f"no node serving {capability!r} answered ({len(tried)} tried: {'; '.join(tried)})"
        )

    # -- serving peers -------------------------------------------------------------------------

    async def _serve_fetch(self, stream: INetStream) -> None:
        async def answer(_peer: str, request: Message) -> Message:
            cid = request.fields["cid"]
            data = self.store.get(cid)
            self.shelf.use(cid)
            self.modules_served += 1
            return Message("content", {"cid": cid}, data)

        await respond(stream, ("fetch",), answer, self.reputation)

    async def _serve_seed(self, stream: INetStream) -> None:
        async def answer(peer: str, request: Message) -> Message:
            cid = str(parse_cid(request.fields["cid"]))
            if not self.store.has(cid):
                data, _ = await fetch_verified(
                    cid, [peer], self.fetch_from, self.reputation, attempts=1
                )
                await self.backend.check(cid, data)
                await self._keep(cid, data)
                log.info("kept %s, seeded by %s", cid, peer)
            return Message("result", {"result": {"kept": True}})

        await respond(stream, ("seed",), answer, self.reputation)

    async def _serve_execute(self, stream: INetStream) -> None:
        async def answer(_peer: str, request: Message) -> Message:
            capability = request.fields["capability"]
            if capability not in self.capabilities:
                raise UnknownCapability(f"this node does not serve {capability!r}")
            result = await self.backend.execute(capability, request.body)
            return Message("result", {"result": result.to_json()})

        await respond(stream, ("execute",), answer, self.reputation)
