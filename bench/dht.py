"""Kademlia lookups in a swarm of N nodes: hops and latency against log2 N.

    python bench/dht.py                    # N = 16, 64, 256: table
    python bench/dht.py --json             # figures for machines
    python bench/dht.py --quick            # N = 16, 10 lookups (a smoke run)
    python bench/dht.py --sizes 16,64 --lookups 100 --per-process 8

N SwarmNodes (protocol/swarm/node.py: py-libp2p hosts and their KadDHT) on 127.0.0.1, 16 in
each worker process of this same script (``--per-process``; N = 256: sixteen processes, as
one process uses one core and its loop serves every query of its nodes). Every node dials 3
random peers already up and joins with a lookup of its own ID, one node at a time per
process, the processes in parallel. Then 16 random nodes announce a random CID each (a
provider record, sent to the 20 closest peers their lookup finds) and, one lookup at a time,
random other nodes ask for the providers of those CIDs (``SwarmNode.providers``: an iterative
FIND_NODE lookup of the key, then GET_PROVIDERS to the 20 closest peers found). Found: the
announcer is among the providers returned. Latency: the whole call.

A hop is one round of py-libp2p's iterative lookup (``find_closest_peers_network``): a round
asks up to ALPHA = 10 of the closest peers not yet asked, in parallel, and waits for them all
before re-sorting, so rounds, not messages, are what compares with log2 N. py-libp2p has no
hook: each node's ``_query_peer_for_closest`` is wrapped, and the queries of one lookup
(marked by a context variable, which trio copies into the lookup's tasks) are counted by the
distinct nurseries, one per round, that run them; the count agrees with the rounds py-libp2p
logs. The closing GET_PROVIDERS fan-out is not a hop; it is in the messages and the latency.

Starting is what costs (64 nodes in one process took ~190 s; now ~30 s, ~17 s in four):

- py-libp2p's DHT service refreshes the routing table (a lookup of the node's own ID, then
  one per non-empty bucket) the moment a node starts, before its bootstrap peers are dialled,
  and every 10 minutes; a ``refresh_routing_table()`` on top doubles it. The workers take the
  refresh out of the service and join each node with the one lookup (the full refresh instead
  took 1.8 times as long at N = 64, for about as many hops).
- Every peer a lookup asks gets a connection of its own (TCP, Noise, yamux, identify: tens of
  ms of CPU), and a lookup asks 10 to 40 peers: at N = 256 a node ends with ~140 connections.
- Every yamux connection pings its peer and sweeps its streams every 30 s: ~17,000
  connections at N = 256 on two cores, which starve the lookups (p95 over 20 s). The workers
  make both hourly; a real node has its connections, and a CPU, to itself.
"""

from __future__ import annotations

import argparse
import contextvars
import json
import math
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import IO, Any, NoReturn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import trio
from libp2p.kad_dht.common import ALPHA, BUCKET_SIZE
from libp2p.peer.id import ID as PeerID
from libp2p.peer.peerinfo import PeerInfo
from libp2p.stream_muxer.yamux import yamux
from rich.console import Console
from rich.table import Table

from protocol.cid import cid_for
from protocol.store.local import LocalStore
from protocol.swarm.node import SwarmNode

#: Peers each node dials to join.
LINKS = 3
#: Nodes that announce a CID, per size.
ANNOUNCERS = 16
#: One lookup at most (py-libp2p gives up its own after 30 s; GET_PROVIDERS take 10 s more).
LOOKUP_TIMEOUT_S = 60.0


# -- a worker process: hosts some of the nodes, answers one JSON request per line --------------


@dataclass
class Probe:
    """What one lookup sent: its FIND_NODE queries by round, its GET_PROVIDERS queries."""

    rounds: set[object] = field(default_factory=set)  # the nurseries of its rounds
    find_node: int = 0
    get_providers: int = 0


PROBE: contextvars.ContextVar[Probe | None] = contextvars.ContextVar("probe", default=None)


def instrument(node: SwarmNode) -> None:
    """Count the queries of probed lookups (private methods of py-libp2p 0.8), and take the
    routing-table refresh out of the DHT service (the worker joins the node itself)."""
    routing, store = node.dht.peer_routing, node.dht.provider_store
    find_node = routing._query_peer_for_closest
    get_providers = store._get_providers_from_peer_with_closers

    async def counted_find_node(peer: PeerID, target_key: bytes) -> list[PeerID]:
        probe = PROBE.get()
        if probe is not None:
            probe.find_node += 1
            probe.rounds.add(trio.lowlevel.current_task().parent_nursery)
        return await find_node(peer, target_key)

    async def counted_get_providers(
        peer_id: PeerID, key: bytes
    ) -> tuple[list[PeerInfo], list[PeerID]]:
        probe = PROBE.get()
        if probe is not None:
            probe.get_providers += 1
        return await get_providers(peer_id, key)

    async def no_refresh() -> None:
        pass

    routing._query_peer_for_closest = counted_find_node  # type: ignore[method-assign]
    store._get_providers_from_peer_with_closers = counted_get_providers  # type: ignore[method-assign]
    node.dht.refresh_routing_table = no_refresh  # type: ignore[method-assign]


@contextmanager
def probing() -> Iterator[Probe]:
    probe = Probe()
    token = PROBE.set(probe)
    try:
        yield probe
    finally:
        PROBE.reset(token)


@dataclass
class Worker:
    nodes: list[SwarmNode]
    rng: random.Random
    nursery: trio.Nursery

    async def start(self, bootstrap: list[str]) -> dict[str, Any]:
        peers, joins = list(bootstrap), []
        for node in self.nodes:
            await self.nursery.start(node.run, 0, self.rng.sample(peers, min(LINKS, len(peers))))
            with probing() as probe:  # the Kademlia join: a lookup of the node's own ID
                await node.dht.peer_routing.find_closest_peers_network(
                    node.host.get_id().to_bytes()
                )
            joins.append(probe.find_node)
            peers.append(node.address)
        return {"addresses": peers[len(bootstrap) :], "join_queries": joins}

    async def announce(self, node: int) -> dict[str, Any]:
        cid = cid_for(self.rng.randbytes(32))
        await self.nodes[node].announce([cid])
        return {"cid": cid, "provider": self.nodes[node].peer_id}

    async def lookup(self, node: int, cid: str, provider: str) -> dict[str, Any]:
        found, start = False, time.perf_counter()
        with probing() as probe, trio.move_on_after(LOOKUP_TIMEOUT_S):
            found = provider in await self.nodes[node].providers(cid)
        return {
            "hops": len(probe.rounds),
            "messages": probe.find_node + probe.get_providers,
            "ms": (time.perf_counter() - start) * 1000,
            "found": found,
        }

    async def tables(self) -> dict[str, Any]:
        return {
            "peers": [node.dht.routing_table.size() for node in self.nodes],
            "connections": [len(node.host.get_connected_peers()) for node in self.nodes],
        }


async def serve(count: int, seed: int, out: IO[str]) -> None:
    """Answer requests until stdin ends (the parent is done, or gone), even mid-request."""

    async def readline() -> str:
        # trio-typing's stubs (a libp2p dependency) know abandon_on_cancel by its old name
        return await trio.to_thread.run_sync(sys.stdin.readline, abandon_on_cancel=True)  # type: ignore[call-arg]

    async def read(send: trio.MemorySendChannel[str], scope: trio.CancelScope) -> None:
        async with send:
            while line := await readline():
                await send.send(line)
        scope.cancel()

    with tempfile.TemporaryDirectory(prefix="memjit-dht-bench-") as tmp:
        nodes = [SwarmNode(LocalStore(Path(tmp) / f"node{i}")) for i in range(count)]
        for node in nodes:
            instrument(node)
        send, receive = trio.open_memory_channel[str](0)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(read, send, nursery.cancel_scope)
            worker = Worker(nodes, random.Random(seed), nursery)
            print(json.dumps({"ready": count}), file=out, flush=True)
            async for line in receive:
                request = json.loads(line)
                reply = await getattr(worker, request.pop("op"))(**request)
                print(json.dumps(reply), file=out, flush=True)


def worker_main(count: int, seed: int) -> None:
    out = os.fdopen(os.dup(1), "w")  # replies; whatever the libraries print goes to stderr
    os.dup2(2, 1)
    yamux.RTT_MEASURE_INTERVAL = yamux._STALE_STREAM_SWEEP_INTERVAL = 3600  # see the docstring
    trio.run(serve, count, seed, out)


# -- the parent: starts the workers, drives the workload, sums up ------------------------------


class Process:
    """A worker process: requests and replies as JSON lines, its stderr in a temporary file."""

    def __init__(self, count: int, seed: int) -> None:
        self.count = count
        self.log = tempfile.TemporaryFile("w+")  # noqa: SIM115 (closed in workers())
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--worker", str(count), "--seed", str(seed)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True,
            start_new_session=True,  # Ctrl-C reaches the parent only, which ends the workers
        )  # fmt: skip

    def send(self, op: str, **fields: Any) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"op": op, **fields}) + "\n")
        self.process.stdin.flush()

    def receive(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.log.seek(0)
            raise RuntimeError("a DHT worker died; its last words:\n" + self.log.read()[-3000:])
        reply: dict[str, Any] = json.loads(line)
        return reply

    def ask(self, op: str, **fields: Any) -> dict[str, Any]:
        self.send(op, **fields)
        return self.receive()


@contextmanager
def workers(size: int, per_process: int, seed: int) -> Iterator[list[Process]]:
    """Worker processes hosting ``size`` nodes between them, all ended on the way out."""
    count = math.ceil(size / per_process)
    rng = random.Random(seed)
    started: list[Process] = []
    try:
        for i in range(count):
            started.append(Process(len(range(i, size, count)), rng.randrange(2**32)))
        for process in started:
            process.receive()  # ready: libraries imported, nodes created
        yield started
    finally:
        for process in started:  # the end of requests: the workers stop their nodes
            with suppress(OSError):
                if process.process.stdin is not None:
                    process.process.stdin.close()
        deadline = time.monotonic() + 10
        for process in started:
            try:
                process.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.process.kill()
                process.process.wait()
            process.log.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def measure(size: int, lookups: int, per_process: int) -> dict[str, Any]:
    rng = random.Random(size)
    with workers(size, per_process, rng.randrange(2**32)) as processes:
        start = time.perf_counter()
        first = processes[0].ask("start", bootstrap=[])
        for process in processes[1:]:
            process.send("start", bootstrap=first["addresses"])
        joins = [first, *(process.receive() for process in processes[1:])]
        startup_s = time.perf_counter() - start
        nodes = [(process, i) for process in processes for i in range(process.count)]
        announcers = rng.sample(nodes, min(len(nodes), ANNOUNCERS))
        records = [(at, at[0].ask("announce", node=at[1])) for at in announcers]
        results = []
        for k in range(lookups):
            at, record = records[k % len(records)]
            process, node = rng.choice([n for n in nodes if n != at])
            results.append(process.ask("lookup", node=node, **record))
        tables = [process.ask("tables") for process in processes]
    hops, ms = [r["hops"] for r in results], [r["ms"] for r in results]
    return {
        "nodes": size,
        "processes": len(processes),
        "log2_nodes": math.log2(size),
        "hops_p50": statistics.median(hops),
        "hops_mean": round(statistics.fmean(hops), 2),
        "hops_max": max(hops),
        "hops_per_log2": round(statistics.fmean(hops) / math.log2(size), 3),
        "messages_mean": round(statistics.fmean(r["messages"] for r in results), 1),
        "latency_p50_ms": round(statistics.median(ms), 1),
        "latency_p95_ms": round(percentile(ms, 0.95), 1),
        "found": sum(r["found"] for r in results),
        "lookups": len(results),
        "startup_s": round(startup_s, 1),
        "join_queries_mean": round(statistics.fmean(q for j in joins for q in j["join_queries"])),
        "table_mean": round(statistics.fmean(p for t in tables for p in t["peers"]), 1),
        "connections_mean": round(statistics.fmean(c for t in tables for c in t["connections"]), 1),
    }


def print_table(report: dict[str, Any]) -> None:
    table = Table(
        title=f"Kademlia lookups, py-libp2p {report['libp2p']} (α = {report['alpha']}, "
        f"k = {report['k']}) on 127.0.0.1, {report['lookups']} per N",
        box=None,
        header_style="bold",
    )
    for name in (
        "N", "procs", "log2 N", "hops\np50/mean/max", "hops ÷\nlog2 N", "mes-\nsages",
        "latency ms\np50 / p95", "found", "start\ns",
    ):  # fmt: skip
        table.add_column(name, justify="right", no_wrap=True)
    for row in report["sizes"]:
        table.add_row(
            str(row["nodes"]), str(row["processes"]), f"{row['log2_nodes']:.0f}",
            f"{row['hops_p50']:g} / {row['hops_mean']:.2f} / {row['hops_max']}",
            f"{row['hops_per_log2']:.2f}", f"{row['messages_mean']:.0f}",
            f"{row['latency_p50_ms']:.0f} / {row['latency_p95_ms']:.0f}",
            f"{row['found']}/{row['lookups']}", f"{row['startup_s']:.0f}",
        )  # fmt: skip
    console = Console()
    console.print(table)
    console.print(
        "hop: one round of the iterative FIND_NODE lookup (up to α queries in parallel); "
        "messages: FIND_NODE and GET_PROVIDERS queries per lookup (mean); found: lookups that "
        f"returned the announcer; start: all N nodes started and joined. Total {report['total_s']:.0f} s."
    )


def interrupted(signum: int, frame: object) -> NoReturn:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print figures as JSON")
    parser.add_argument("--quick", action="store_true", help="N = 16 and 10 lookups")
    parser.add_argument("--sizes", default="16,64,256", help="swarm sizes (default 16,64,256)")
    parser.add_argument("--lookups", type=int, default=50, help="lookups per size (default 50)")
    parser.add_argument("--per-process", type=int, default=16, help="nodes per worker process")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        worker_main(args.worker, args.seed)
        return
    signal.signal(signal.SIGTERM, interrupted)  # so that the workers are ended either way
    sizes = [16] if args.quick else [int(size) for size in args.sizes.split(",")]
    lookups = 10 if args.quick else args.lookups
    start = time.perf_counter()
    rows = []
    try:
        for size in sizes:
            with Console(stderr=True).status(f"N = {size}: starting, joining, looking up…"):
                rows.append(measure(size, lookups, args.per_process))
    except KeyboardInterrupt:
        sys.exit(130)
    report = {
        "libp2p": version("libp2p"),
        "alpha": ALPHA,
        "k": BUCKET_SIZE,
        "lookups": lookups,
        "sizes": rows,
        "total_s": round(time.perf_counter() - start, 1),
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)


if __name__ == "__main__":
    main()
