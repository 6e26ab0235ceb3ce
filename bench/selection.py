"""Choosing a request's workers among 10, 1,000 and 10,000 registered ones, on anvil.

    python bench/selection.py                     # 10, 1,000 and 10,000 workers: table
    python bench/selection.py --json              # figures for machines
    python bench/selection.py --quick             # 10 and 100 workers (a smoke run)
    python bench/selection.py --sizes 10,500 --requests 10

Two ways to get a request's candidates, each followed by the engine's own choice of five
(``select_workers`` of :mod:`protocol.engine.selection`, fixed seed):

- registry reads, the old way: ``Registry.capability_workers``, the active ids in pages of
  200, then one ``worker`` call per worker;
- the index (:class:`~protocol.chain.index.WorkerIndex`): ``sync`` (the chain's head, and the
  logs of the blocks since the last sync), then ``active``. Before each request the oracle
  records one score, untimed, so each sync reads one new block holding one event, as
  between two rounds.

Both choose the same workers, and the index lists what the registry lists (but for
``last_used``, which events do not carry), or the benchmark stops. The figures: the median
of ``--requests`` requests through the index, of up to 5 (as many as fit in 10 s) through
the registry reads, their ratio, and the catch-up: a fresh index's first sync over the whole
history, once per size.

The sizes grow one deployment: a WorkerRegistry whose oracle is a plain account, so the
benchmark records scores itself. One worker in 50 is scored three times (a settled worker,
ranked by usefulness); the others are newcomers. The workers are not real modules: selection
reads only the registry. They are registered through the typed API, about 80 a second here:
16 owners, each in a thread, in 2 processes (web3 spends ~11 ms of CPU on a transaction),
while anvil mines a block every 0.1 s rather than one per transaction (its cost per block
grows with the state: one block per worker took 20 minutes for 10,000). Each owner approves
the registry once, and each registration passes an expired permit, which the registry skips
because the allowance already covers the stake (its defence against a permit front-run from
the mempool): one transaction per worker instead of two.

Goal (the issue's): a request's selection in at most 50 ms at 10,000 workers.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak
from rich.console import Console
from rich.table import Table

from protocol.artifacts import load_artifact
from protocol.chain import (
    Chain,
    MemJitContracts,
    Registry,
    Token,
    WorkerIndex,
    WorkerInfo,
    latest_block,
    worker_id,
)
from protocol.chain.anvil import running_anvil
from protocol.chain.connection import connect, rpc_call
from protocol.chain.deployment import Deployment
from protocol.chain.events import LOG_CHUNK_BLOCKS
from protocol.chain.signers import Signer, devnet_signer, signer_from_key
from protocol.chain.transactions import deploy
from protocol.chain.types import Permit
from protocol.engine.selection import select_workers
from protocol.units import WEI_PER_SWT

CAP = "digits-8x8"
SLOTS = 5
SEED = bytes(32)
OWNERS = 16
#: Processes the owners register from.
PROCESSES = 2
#: While registering, anvil mines a block this often instead of one per transaction.
BLOCK_INTERVAL_S = 0.1
STAKE_WEI = WEI_PER_SWT
#: One worker in this many is scored SETTLED_ROUNDS times; the others are newcomers.
SETTLED_EVERY = 50
SETTLED_ROUNDS = 3
#: Requests timed the old way at most, and the time they may take together.
OLD_RUNS = 5
OLD_BUDGET_S = 10.0
GOAL_MS = 50.0
GOAL_WORKERS = 10_000
#: Expired (deadline 0): the registry falls back on the allowance each owner gave once.
STALE_PERMIT = Permit(deadline=0, v=27, r=bytes(32), s=bytes(32))

progress = Console(stderr=True)


@dataclass
class Bench:
    """One deployment: a registry whose oracle is ``oracle``, and the workers so far."""

    chain: Chain
    mj: MemJitContracts
    oracle: Signer
    owners: list[Signer]
    registered: int = 0
    scores: int = 0
    #: The workers scored SETTLED_ROUNDS times at registration.
    settled: list[bytes] = field(default_factory=list)


def deploy_registry(chain: Chain) -> Bench:
    """SWT and a WorkerRegistry (1 SWT minimum stake) whose oracle is a devnet account, and
    :data:`OWNERS` owners, funded and each with one approval of everything it will stake."""
    admin, oracle = devnet_signer(chain, 0), devnet_signer(chain, 9)
    swt, first = deploy(chain, admin, load_artifact("SWT"))
    registry, _ = deploy(chain, admin, load_artifact("WorkerRegistry"), swt, STAKE_WEI, 600)
    mj = MemJitContracts(
        chain,
        # No UtilityOracle: the oracle is the account, and nothing here opens rounds.
        Deployment(
            chain.chain_id, swt, registry, oracle.address, None, admin.address, first.block_number
        ),
    )
    mj.registry.set_oracle(admin, oracle.address)
    owners = [signer_from_key(owner_key(k)) for k in range(OWNERS)]
    allowance = 100_000 * WEI_PER_SWT  # the faucet's most: 100,000 workers per owner
    for owner in owners:
        rpc_call(chain, "anvil_setBalance", owner.address, hex(10**21))
        mj.token.faucet(owner, allowance)
        mj.token.approve(owner, mj.registry.address, allowance)
    return Bench(chain, mj, oracle, owners)


@contextmanager
def blocks_every(chain: Chain, interval_s: float) -> Iterator[None]:
    """anvil mines a block every ``interval_s`` (whatever is pending) instead of one per
    transaction (its automine), restored on the way out."""
    stop = threading.Event()

    def mine() -> None:
        while not stop.wait(interval_s):
            rpc_call(chain, "evm_mine")

    rpc_call(chain, "evm_setAutomine", False)
    miner = threading.Thread(target=mine, name="miner")
    miner.start()
    try:
        yield
    finally:
        stop.set()
        miner.join()
        rpc_call(chain, "evm_setAutomine", True)


def owner_key(k: int) -> str:
    return keccak(text=f"bench-selection-owner-{k}").hex()


def cid_of(i: int) -> str:
    return f"bafkrei-bench-{i}"  # unique: a CID has one registrant, ever


def register_workers(registry: Registry, owners: dict[int, Signer], numbers: list[int]) -> None:
    """Registers worker ``i`` of ``numbers`` by owner ``i % OWNERS`` (of ``owners``, by
    number), each owner in a thread of its own."""

    def register(k: int) -> None:
        for i in numbers:
            if i % OWNERS == k:
                registry.register_with_permit(owners[k], cid_of(i), STAKE_WEI, CAP, STALE_PERMIT)

    with ThreadPoolExecutor(len(owners)) as pool:
        for share in [pool.submit(register, k) for k in owners]:
            share.result()


def register_in_child(
    url: str, swt: ChecksumAddress, registry: ChecksumAddress, owners: list[int], numbers: list[int]
) -> None:
    """A child process's part of :func:`register_workers`: its ``owners``' workers."""
    chain = connect(url)
    signers = {k: signer_from_key(owner_key(k)) for k in owners}
    register_workers(Registry(chain, registry, Token(chain, swt)), signers, numbers)


def grow(bench: Bench, size: int, rng: random.Random) -> None:
    """Registers workers up to ``size``: the settled ones first, here, then the others in
    :data:`PROCESSES` child processes (web3 spends ~11 ms of CPU on a transaction, so one
    process is CPU-bound) while the oracle scores the settled ones here."""
    numbers = range(bench.registered, size)
    settled = [i for i in numbers if i % SETTLED_EVERY == 0]
    others = [i for i in numbers if i % SETTLED_EVERY]
    owners = dict(enumerate(bench.owners))
    url, mj = bench.chain.url, bench.mj
    assert url is not None
    spawn = multiprocessing.get_context("spawn")  # never fork a process with live threads
    with blocks_every(bench.chain, BLOCK_INTERVAL_S):
        register_workers(mj.registry, owners, settled)
        ids = [worker_id(owners[i % OWNERS].address, cid_of(i)) for i in settled]
        with ProcessPoolExecutor(PROCESSES, mp_context=spawn) as children:
            parts = [
                children.submit(
                    register_in_child, url, mj.token.address, mj.registry.address,
                    [k for k in owners if k % PROCESSES == p], others,
                )
                for p in range(PROCESSES)
            ]  # fmt: skip
            for wid in ids:
                for _ in range(SETTLED_ROUNDS):
                    score(bench, wid, rng)
            for part in parts:
                part.result()
    bench.settled += ids
    bench.registered = size


def score(bench: Bench, wid: bytes, rng: random.Random) -> None:
    bench.mj.registry.record_score(bench.oracle, wid, rng.randint(20, 100))
    bench.scores += 1


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def chosen(candidates: list[WorkerInfo]) -> list[bytes]:
    return [w.id for w in select_workers(candidates, SLOTS, SEED).workers]


def from_registry(bench: Bench) -> tuple[list[WorkerInfo], list[bytes]]:
    """The old way: every active worker read from the registry, then the choice."""
    candidates = bench.mj.registry.capability_workers(CAP)
    return candidates, chosen(candidates)


def from_index(index: WorkerIndex) -> list[bytes]:
    """The index, once synced: the active workers it holds, then the choice."""
    return chosen(index.active(CAP))


def caught_up(bench: Bench) -> WorkerIndex:
    """A fresh index, synced over the whole history."""
    index = WorkerIndex(bench.mj)
    index.sync()
    return index


def check(index: WorkerIndex, read: list[WorkerInfo]) -> None:
    """The index lists what the registry's reads list, and the same workers are chosen."""
    expected = [replace(w, last_used=0) for w in sorted(read, key=lambda w: w.serial)]
    if index.active(CAP) != expected:
        raise SystemExit("the index differs from the registry's own reads: figures withheld")
    if chosen(index.active(CAP)) != chosen(read):
        raise SystemExit("the index and the registry reads chose different workers")


def measure(bench: Bench, size: int, requests: int, rng: random.Random) -> dict[str, Any]:
    head = latest_block(bench.chain).number
    scores = bench.scores
    catch_up_s, index = timed(partial(caught_up, bench))
    blocks = head - bench.mj.deployment.block_number + 1

    old_s: list[float] = []
    read: list[WorkerInfo] = []
    while len(old_s) < OLD_RUNS and sum(old_s) < OLD_BUDGET_S:
        seconds, (read, _) = timed(partial(from_registry, bench))
        old_s.append(seconds)
    check(index, read)

    index_s: list[float] = []
    sync_s: list[float] = []
    for _ in range(requests):
        score(bench, rng.choice(bench.settled), rng)  # a round closed since the last request
        synced, _ = timed(index.sync)
        choice, _ = timed(partial(from_index, index))
        index_s.append(synced + choice)
        sync_s.append(synced)
    check(index, from_registry(bench)[0])

    old_ms = statistics.median(old_s) * 1000
    index_ms = statistics.median(index_s) * 1000
    return {
        "workers": size,
        "old_ms": round(old_ms, 2),
        "old_runs": len(old_s),
        "index_ms": round(index_ms, 3),
        "index_max_ms": round(max(index_s) * 1000, 3),
        "index_sync_ms": round(statistics.median(sync_s) * 1000, 3),
        "ratio": round(old_ms / index_ms, 1),
        "catch_up_s": round(catch_up_s, 3),
        "catch_up_blocks": blocks,
        "catch_up_log_reads": math.ceil(blocks / LOG_CHUNK_BLOCKS),
        "catch_up_worker_events": size + scores,  # registrations and scores
    }


def run(sizes: list[int], requests: int) -> dict[str, Any]:
    rng = random.Random(7)
    rows = []
    started = time.perf_counter()
    with running_anvil() as anvil:
        bench = deploy_registry(connect(anvil.url))
        setup_s = 0.0
        for size in sizes:
            with progress.status(f"registering {size - bench.registered:,} workers…"):
                seconds, _ = timed(partial(grow, bench, size, rng))
            setup_s += seconds
            progress.print(f"{size:,} workers registered ({seconds:.0f} s); timing selection")
            rows.append(measure(bench, size, requests, rng))
    at_goal = [row for row in rows if row["workers"] == GOAL_WORKERS]
    return {
        "capability": CAP,
        "slots": SLOTS,
        "selection": "protocol.engine.selection.select_workers",
        "requests": requests,
        "settled_share": round(1 / SETTLED_EVERY, 3),
        "sizes": rows,
        "goal": {
            "workers": GOAL_WORKERS,
            "index_ms": GOAL_MS,
            "met": at_goal[0]["index_ms"] <= GOAL_MS if at_goal else None,
        },
        "setup_s": round(setup_s, 1),
        "total_s": round(time.perf_counter() - started, 1),
    }


def print_table(report: dict[str, Any]) -> None:
    table = Table(
        title=f"a request's {report['slots']} workers among N: registry reads vs the index "
        f"(median of {report['requests']} requests)"
    )
    for name in ("N", "registry reads", "index", "ratio", "catch-up", "blocks / log reads"):
        table.add_column(name, justify="right")
    for row in report["sizes"]:
        table.add_row(
            f"{row['workers']:,}",
            f"{row['old_ms']:,.1f} ms",
            f"{row['index_ms']:,.2f} ms (sync {row['index_sync_ms']:,.2f})",
            f"{row['ratio']:,.0f}×",
            f"{row['catch_up_s']:,.2f} s",
            f"{row['catch_up_blocks']:,} / {row['catch_up_log_reads']}",
        )
    console = Console()
    console.print(table)
    goal = report["goal"]
    verdict = {None: "not measured", True: "met", False: "NOT met"}[goal["met"]]
    console.print(
        f"goal ≤ {goal['index_ms']:g} ms at {goal['workers']:,} workers: {verdict}. "
        f"Registering took {report['setup_s']:.0f} s; total {report['total_s']:.0f} s."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print figures as JSON")
    parser.add_argument("--quick", action="store_true", help="10 and 100 workers, 5 requests")
    parser.add_argument(
        "--sizes", default="10,1000,10000", help="workers, growing (default 10,1000,10000)"
    )
    parser.add_argument("--requests", type=int, default=20, help="timed requests per size")
    args = parser.parse_args()
    sizes = [10, 100] if args.quick else [int(size) for size in args.sizes.split(",")]
    if sizes != sorted(set(sizes)) or sizes[0] < 1:
        parser.error("--sizes must grow: e.g. 10,1000,10000")
    report = run(sizes, 5 if args.quick else args.requests)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)


if __name__ == "__main__":
    main()
