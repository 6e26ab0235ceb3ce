"""``memjit demo``: the main job on the embedded default, no servers needed.

It deploys the contracts (with the Groth16 verifier of the packaged development keys),
publishes the example workers to the local content store (three digit classifiers of
different quality, a random guesser, a worker that spins forever and one that eats memory),
registers each with stake, and serves a few service requests. Each request is a round: the
engine picks five workers, hides 16 canaries among the user's 5 digits, runs the workers in
the sandbox, proves their canary scores and closes the round on-chain, which pays the best
three and slashes the ones under the floor. The leaderboard at the end shows the selection.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from oracle.datasets import load_digits_test
from oracle.files import PUBLIC_MODE, write_atomic
from oracle.prover import load_dev_keys
from protocol.chain.connection import Chain
from protocol.chain.contracts import MemJitContracts
from protocol.chain.deployment import (
    DeployConfig,
    Deployment,
    deploy_memjit,
    save_deployment,
    verifier_artifact,
)
from protocol.chain.signers import devnet_signer
from protocol.cli.context import connect_chain, json_option, load_settings, rpc_option
from protocol.cli.leaderboard_plot import render_leaderboard_svg
from protocol.cli.output import console, print_json, short
from protocol.cli.serving import DASHBOARD_PORT
from protocol.engine import JITEngine, Journal, RequestResult
from protocol.errors import ConfigError
from protocol.runtime import WorkerRuntime
from protocol.settings import Settings
from protocol.tasks import Executor
from protocol.units import WEI_PER_SWT, format_swt
from protocol.workers.build import build_file

CAPABILITY = "digits-8x8"
USER_ITEMS = 5


@dataclass(frozen=True)
class Entrant:
    """An example worker, who owns it, and how it was built."""

    name: str
    owner_index: int
    source: str
    stake_swt: int


ENTRANTS = (
    Entrant("small-mlp", 1, "digits/models/mlp.json", 300),
    Entrant("logistic-regression", 2, "digits/models/logistic.json", 200),
    Entrant("nearest-centroid", 2, "digits/models/centroid.json", 200),
    Entrant("random-guesser", 3, "hostile/random.wat", 150),
    Entrant("infinite-loop", 3, "hostile/spin.wat", 150),
    Entrant("memory-bomb", 4, "hostile/bomb.wat", 150),
)
OWNERS = {1: "bob", 2: "alice", 3: "mallory", 4: "trent"}


@click.command()
@rpc_option("Run against this JSON-RPC node (a local devnet) instead of the embedded EVM.")
@click.option(
    "--rounds",
    type=click.IntRange(1, 100),
    default=6,
    show_default=True,
    help="Service requests to serve.",
)
@click.option(
    "--seed", type=int, default=None, help="Seed the requests and canaries (reproducible runs)."
)
@click.option(
    "--svg",
    "svg_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Also draw the leaderboard, round by round, into this SVG file.",
)
@click.option(
    "--web",
    "web_port",
    type=click.IntRange(0, 65535),
    is_flag=False,
    flag_value=DASHBOARD_PORT,
    default=None,
    metavar="[PORT]",
    help=f"Then serve the dashboard of the result on 127.0.0.1:PORT [{DASHBOARD_PORT}] until "
    "Ctrl-C (read-only on the in-process chain).",
)
@json_option("a machine-readable summary")
def demo(
    rpc_url: str | None,
    rounds: int,
    seed: int | None,
    svg_path: Path | None,
    web_port: int | None,
    as_json: bool,
) -> None:
    """Deploy MemJit, publish and stake example workers, and serve requests: rounds of
    competing workers, proved and settled on-chain (in-process chain unless --rpc)."""
    started = time.perf_counter()
    settings = load_settings()
    chain = connect_chain(settings, rpc_url, embedded_default=True)
    if not chain.is_devnet:
        raise ConfigError(
            f"the demo uses the devnet faucet and keys; chain {chain.chain_id} is not a local devnet"
        )
    with tempfile.TemporaryDirectory(prefix="memjit-demo-") as work:
        run = run_demo(chain, settings, Path(work), rounds, seed, quiet=as_json)
        summary = run.summary
        summary["seconds"] = round(time.perf_counter() - started, 2)
        if svg_path is not None:
            write_atomic(svg_path, render_leaderboard_svg(summary).encode(), mode=PUBLIC_MODE)
        if as_json:
            print_json(summary)
        else:
            console.print(f"[dim]{summary['seconds']} s[/dim]")
        if web_port is not None:
            from protocol.cli.web_cmd import serve_dashboard  # the page's modules only if asked

            # The demo's store holds its workers' modules: the page can check their CIDs.
            with WorkerRuntime.from_settings(Settings.load(home=Path(work))) as runtime:
                mj = MemJitContracts(chain, run.deployment)
                serve_dashboard(mj, runtime, "127.0.0.1", web_port, open_browser=False)


@dataclass(frozen=True)
class DemoRun:
    """What the demo did (``--json`` prints the summary) and the deployment it made."""

    summary: dict[str, Any]
    deployment: Deployment


def example_path(relative: str) -> Path:
    """An example worker's source, shipped in the package (``protocol/examples`` = ``workers/``)."""
    return Path(str(resources.files("protocol").joinpath("examples", relative)))


def run_demo(
    chain: Chain,
    settings: Settings,
    work: Path,
    rounds: int,
    seed: int | None,
    quiet: bool = False,
    executor: Callable[[WorkerRuntime], Executor] | None = None,
) -> DemoRun:
    """The demo's rounds on ``chain``, with its node's files in ``work``. ``executor`` says
    where workers run (default: this process); a pool's workers must read ``work``'s store."""

    def say(text: str) -> None:
        if not quiet:
            console.print(text, highlight=False)

    rng = random.Random(seed) if seed is not None else random.SystemRandom()
    say(f"[bold]MemJit demo[/bold] on {chain.name}")
    operator = devnet_signer(chain, 0)
    deployed = deploy_memjit(
        chain, operator, DeployConfig(), verifier=verifier_artifact()
    ).deployment
    mj = MemJitContracts(chain, deployed)
    say(
        f"deployed SWT {deployed.swt}, WorkerRegistry {deployed.registry}, UtilityOracle "
        f"{deployed.oracle}, Groth16Verifier {deployed.verifier} (INSECURE development keys)"
    )
    if chain.kind == "rpc":  # so that `memjit web` and `memjit worker ...` find it afterwards
        save_deployment(settings.deployments_file, deployed)
        say(f"recorded the deployment for chain {chain.chain_id} in {settings.deployments_file}")

    # The demo's node keeps its store, cache and journal in a scratch folder.
    node_settings = Settings.load(home=work)
    runtime = WorkerRuntime.from_settings(node_settings)
    ids: dict[bytes, Entrant] = {}
    funded: set[int] = set()
    for entrant in ENTRANTS:
        owner = devnet_signer(chain, entrant.owner_index)
        if entrant.owner_index not in funded:
            mj.faucet(owner, 1_000 * WEI_PER_SWT)
            funded.add(entrant.owner_index)
        cid = runtime.publish(build_file(example_path(entrant.source)))
        wid, _ = mj.register_worker(owner, cid, entrant.stake_swt * WEI_PER_SWT, CAPABILITY)
        ids[wid] = entrant
        say(
            f"{OWNERS[entrant.owner_index]} publishes {entrant.name} ({short(cid, 8)}) and stakes {entrant.stake_swt} SWT"
        )

    engine = JITEngine(
        mj,
        operator,
        runtime,
        load_dev_keys(),
        Journal(work / "rounds"),
        rng,
        executor=None if executor is None else executor(runtime),
    )
    digits = load_digits_test()
    results: list[RequestResult] = []
    correct = 0
    for number in range(1, rounds + 1):
        picks = rng.sample(range(len(digits)), USER_ITEMS)
        data = b"".join(digits.inputs[i] for i in picks)
        truth = bytes(digits.labels[i] for i in picks)
        with console.status(f"request {number}/{rounds}") if not quiet else nullcontext():
            result = engine.serve(CAPABILITY, data, progress=None)
        results.append(result)
        right = sum(a == t for a, t in zip(result.answers or b"", truth, strict=False))
        correct += right
        scores = ", ".join(f"{ids[w.id].name} {w.score}" for w in result.workers)
        say(
            f"round {result.round_id}: {scores} · answer {list(result.answers or b'')} "
            f"({right}/{USER_ITEMS} right) · prove {result.timings_s.get('prove', 0):.2f} s"
        )
    runtime.close()

    board = leaderboard(mj, ids, results)
    if not quiet:
        print_leaderboard(board)
        say(
            f"the network answered {correct}/{rounds * USER_ITEMS} user digits correctly; "
            f"total staked {format_swt(mj.total_staked())} = the registry's SWT balance"
        )
    summary = {
        "chain_id": chain.chain_id,
        "contracts": {
            "SWT": deployed.swt,
            "WorkerRegistry": deployed.registry,
            "UtilityOracle": deployed.oracle,
            "Groth16Verifier": deployed.verifier,
        },
        "rounds": [
            {
                **r.to_json(),
                "workers": [{**w.to_json(), "name": ids[w.id].name} for w in r.workers],
            }
            for r in results
        ],
        "leaderboard": board,
        "user_items_correct": correct,
        "user_items": rounds * USER_ITEMS,
    }
    return DemoRun(summary, deployed)


def leaderboard(
    mj: MemJitContracts, ids: dict[bytes, Entrant], results: list[RequestResult]
) -> list[dict[str, Any]]:
    """Each worker's standing, best usefulness first."""
    rows: list[dict[str, Any]] = []
    for wid, entrant in ids.items():
        info = mj.worker(wid)
        outcomes = [w for r in results for w in r.workers if w.id == wid]
        rows.append(
            {
                "name": entrant.name,
                "owner": OWNERS[entrant.owner_index],
                "id": "0x" + wid.hex(),
                "cid": info.cid,
                "rounds": len(outcomes),
                "last_score": info.last_score,
                "usefulness": info.usefulness / 100,
                "rewards_wei": str(sum(w.reward_wei for w in outcomes)),
                "slashed_wei": str(sum(w.slashed_wei for w in outcomes)),
                "stake_wei": str(info.stake),
                "status": info.status.name.lower(),
                "failures": sorted({w.failure for w in outcomes if w.failure}),
            }
        )
    rows.sort(key=lambda r: (-r["usefulness"], r["name"]))
    return rows


def print_leaderboard(board: list[dict[str, Any]]) -> None:
    table = Table(title="leaderboard (SWT)")
    for column in ("worker", "rounds", "score", "useful", "rewards", "slashed", "stake", "status"):
        table.add_column(column, justify="left" if column in ("worker", "status") else "right")
    for row in board:
        failures = ", ".join(row["failures"])
        table.add_row(
            row["name"],
            str(row["rounds"]),
            str(row["last_score"]),
            f"{row['usefulness']:.1f}",
            _swt(row["rewards_wei"]),
            _swt(row["slashed_wei"]),
            _swt(row["stake_wei"]),
            row["status"] + (f": {failures}" if failures else ""),
        )
    console.print(table)


def _swt(wei: str) -> str:
    return f"{int(wei) / WEI_PER_SWT:,.1f}"
