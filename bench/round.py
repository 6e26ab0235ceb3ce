"""A round end to end on anvil: latency by phase and gas per round.

    python bench/round.py            # table
    python bench/round.py --json     # figures for machines
    python bench/round.py --quick    # two rounds (a smoke run)

Five workers (the three digit classifiers, a weight-noised MLP staked by another owner, and
the random guesser) serve requests of 5 digits; with the 16 canaries each worker runs on
21 items. A first round warms the module cache; the next ones are timed by the engine, phase
by phase: select (registry reads, canaries), open (transaction), execute (modules from the
cache, run in the sandbox), prove (Groth16), close (transaction, proof verified on-chain).

Goals: everything but the proof within 0.5 s; at most 70k gas per scored worker.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console
from rich.table import Table

from oracle.datasets import load_digits_test
from oracle.prover import load_dev_keys
from protocol.chain import MemJitContracts
from protocol.chain.anvil import start_anvil
from protocol.chain.connection import connect
from protocol.chain.deployment import DeployConfig, deploy_memjit, verifier_artifact
from protocol.chain.signers import devnet_signer
from protocol.engine import JITEngine, Journal
from protocol.engine.engine import PHASES
from protocol.runtime import WorkerRuntime
from protocol.settings import Settings
from protocol.toolchain import build_dense_worker, load_model
from protocol.toolchain.sources import build_file
from protocol.toolchain.variants import noised_model

ROOT = Path(__file__).resolve().parent.parent
WORKERS = (
    "workers/digits/models/mlp.json",
    "workers/digits/models/logistic.json",
    "workers/digits/models/centroid.json",
    "noised workers/digits/models/mlp.json",  # a distinct model: a copy would never play
    "workers/hostile/random.wat",
)
SCORED = len(WORKERS)


def build_worker(entry: str) -> bytes:
    """A worker of :data:`WORKERS`: a source file, or ``noised PATH`` for that dense model
    with weight noise (a fixed seed, so the same bytes every run)."""
    if entry.startswith("noised "):
        model = load_model(ROOT / entry.removeprefix("noised "))
        return build_dense_worker(noised_model(model, 0.4, seed=1))
    return build_file(ROOT / entry)


def run(rounds: int) -> dict[str, Any]:
    anvil = start_anvil()
    try:
        chain = connect(anvil.url)
        operator = devnet_signer(chain, 0)
        mj = MemJitContracts(
            chain,
            deploy_memjit(chain, operator, DeployConfig(), verifier=verifier_artifact()).deployment,
        )
        with tempfile.TemporaryDirectory(prefix="memjit-round-bench-") as work:
            runtime = WorkerRuntime.from_settings(Settings.load(home=Path(work)))
            for i, path in enumerate(WORKERS):
                owner = devnet_signer(chain, 1 + i)
                mj.token.faucet(owner, 1_000 * 10**18)
                cid = runtime.publish(build_worker(path))
                mj.registry.register(owner, cid, 200 * 10**18, "digits-8x8")
            engine = JITEngine(
                mj,
                operator,
                runtime,
                load_dev_keys(),
                Journal(Path(work) / "rounds"),
                random.Random(9),
            )
            digits = load_digits_test()
            results = []
            for r in range(rounds + 1):  # round 0 warms the cache
                data = b"".join(digits.inputs[5 * r : 5 * r + 5])
                results.append(engine.serve("digits-8x8", data))
            runtime.close()
    finally:
        anvil.stop()
    timed = results[1:]
    phases = {p: statistics.median(r.timings_s.get(p, 0.0) for r in timed) for p in PHASES}
    without_proof = statistics.median(
        sum(v for k, v in r.timings_s.items() if k != "prove") for r in timed
    )
    open_gas = statistics.median(r.gas["open"] for r in timed)
    close_gas = statistics.median(r.gas["close"] for r in timed)
    return {
        "rounds": len(timed),
        "workers": SCORED,
        "items_per_worker": 5 + load_dev_keys().shape.canaries,
        "phases_s": {k: round(v, 4) for k, v in phases.items()},
        "all_but_proof_s": round(without_proof, 4),
        "total_s": round(sum(phases.values()), 4),
        "gas_open": int(open_gas),
        "gas_close": int(close_gas),
        "gas_per_round": int(open_gas + close_gas),
        "gas_per_scored_worker": int((open_gas + close_gas) / SCORED),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print figures as JSON")
    parser.add_argument("--quick", action="store_true", help="two timed rounds")
    parser.add_argument("--rounds", type=int, default=8, help="timed rounds")
    args = parser.parse_args()
    report = run(2 if args.quick else args.rounds)
    if args.json:
        json.dump(report, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    table = Table(
        title=f"a round on anvil: {report['workers']} cached workers × {report['items_per_worker']} "
        f"items, median of {report['rounds']}"
    )
    table.add_column("phase")
    table.add_column("time", justify="right")
    for phase, seconds in report["phases_s"].items():
        table.add_row(phase, f"{seconds * 1000:.1f} ms")
    table.add_row("all but the proof", f"{report['all_but_proof_s'] * 1000:.1f} ms (goal ≤ 500)")
    table.add_row("total", f"{report['total_s'] * 1000:.1f} ms")
    console = Console()
    console.print(table)
    console.print(
        f"gas: openRound {report['gas_open']:,}, closeRound {report['gas_close']:,}, "
        f"{report['gas_per_scored_worker']:,} per scored worker (goal ≤ 70,000)"
    )


if __name__ == "__main__":
    main()
