"""``memjit demo``: the main job on the embedded default, no servers needed.

The scenario is :mod:`protocol.demo`; this command prints its progress, the leaderboard and
the summary, draws it (``--svg``) and serves its dashboard (``--web``).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import click
from rich.table import Table

from oracle.files import PUBLIC_MODE, write_atomic
from protocol.chain import Chain, Deployment, MemJitContracts
from protocol.cli.context import connect_chain, json_option, load_settings, rpc_option
from protocol.cli.leaderboard_plot import render_leaderboard_svg
from protocol.cli.output import console, print_json, short
from protocol.cli.serving import DASHBOARD_PORT
from protocol.demo import OWNERS, USER_ITEMS, DemoProgress, DemoSummary, Entrant, run_demo
from protocol.engine import RequestResult
from protocol.errors import ConfigError
from protocol.runtime import WorkerRuntime
from protocol.settings import Settings
from protocol.units import WEI_PER_SWT, format_swt


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
        if not as_json:
            console.print(f"[bold]MemJit demo[/bold] on {chain.name}", highlight=False)
        summary = run_demo(
            chain,
            settings,
            Path(work),
            rounds,
            seed,
            progress=None if as_json else ConsoleProgress(),
        )
        if not as_json:
            print_leaderboard(summary)
        report = {**summary.to_json(), "seconds": round(time.perf_counter() - started, 2)}
        if svg_path is not None:
            write_atomic(svg_path, render_leaderboard_svg(report).encode(), mode=PUBLIC_MODE)
        if as_json:
            print_json(report)
        else:
            console.print(f"[dim]{report['seconds']} s[/dim]")
        if web_port is not None:
            from protocol.cli.web_cmd import serve_dashboard  # the page's modules only if asked

            # The demo's store holds its workers' modules: the page can check their CIDs.
            with WorkerRuntime.from_settings(Settings.load(home=Path(work))) as runtime:
                mj = MemJitContracts(chain, summary.deployment)
                serve_dashboard(mj, runtime, "127.0.0.1", web_port, open_browser=False)


class ConsoleProgress(DemoProgress):
    """The demo's progress, printed as it happens."""

    def deployed(self, chain: Chain, deployment: Deployment) -> None:
        say(
            f"deployed SWT {deployment.swt}, WorkerRegistry {deployment.registry}, "
            f"UtilityOracle {deployment.oracle}, Groth16Verifier {deployment.verifier} "
            "(INSECURE development keys)"
        )

    def recorded(self, chain_id: int, path: Path) -> None:
        say(f"recorded the deployment for chain {chain_id} in {path}")

    def staked(self, entrant: Entrant, cid: str) -> None:
        say(
            f"{OWNERS[entrant.owner_index]} publishes {entrant.name} ({short(cid, 8)}) and "
            f"stakes {entrant.stake_swt} SWT"
        )

    def serving(self, number: int, rounds: int) -> Callable[[], None]:
        status = console.status(f"request {number}/{rounds}")
        status.start()
        return status.stop

    def served(self, result: RequestResult, entrants: Mapping[bytes, Entrant], right: int) -> None:
        scores = ", ".join(f"{entrants[w.id].name} {w.score}" for w in result.workers)
        say(
            f"round {result.round_id}: {scores} · answer {list(result.answers or b'')} "
            f"({right}/{USER_ITEMS} right) · prove {result.timings_s.get('prove', 0):.2f} s"
        )


def say(text: str) -> None:
    console.print(text, highlight=False)


def print_leaderboard(summary: DemoSummary) -> None:
    table = Table(title="leaderboard (SWT)")
    for column in ("worker", "rounds", "score", "useful", "rewards", "slashed", "stake", "status"):
        table.add_column(column, justify="left" if column in ("worker", "status") else "right")
    for row in summary.leaderboard:
        failures = ", ".join(row.failures)
        table.add_row(
            row.entrant.name,
            str(row.rounds),
            str(row.info.last_score),
            f"{row.info.usefulness / 100:.1f}",
            _swt(row.rewards_wei),
            _swt(row.slashed_wei),
            _swt(row.info.stake),
            row.info.status.name.lower() + (f": {failures}" if failures else ""),
        )
    console.print(table)
    say(
        f"the network answered {summary.user_items_correct}/{summary.user_items} user digits "
        f"correctly; total staked {format_swt(summary.total_staked_wei)} = the registry's SWT "
        "balance"
    )


def _swt(wei: int) -> str:
    return f"{wei / WEI_PER_SWT:,.1f}"
