"""``memjit request`` (a service request, served as a round) and ``memjit round`` (the
oracle operator's side: pending rounds, recovery after a crash)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from protocol.api.client import request_from_node
from protocol.cli.context import input_option, json_option, read_input
from protocol.cli.engine_context import EngineOptions, engine_options, open_engine
from protocol.cli.output import console, print_json, short
from protocol.engine import ServedRequest


@click.command()
@click.argument("capability")
@input_option("The items, concatenated (e.g. 64-byte digits for digits-8x8), or - for stdin.")
@click.option(
    "--node",
    "node_url",
    metavar="URL",
    default=None,
    help="Send the request to a running node (`memjit node start`) instead of serving it here.",
)
@engine_options
@json_option("the result and receipt")
def request(
    capability: str, input_file: Path, node_url: str | None, engine: EngineOptions, as_json: bool
) -> None:
    """Send a service request: the best workers for CAPABILITY answer the items in a round
    that is proved and settled on-chain. Served in this process (the signer must hold the
    oracle's operator role) or, with --node, by a running node."""
    data = read_input(input_file)
    with console.status("serving the request", spinner="dots"):
        if node_url is not None:
            served = request_from_node(node_url, capability, data)
        else:
            with open_engine(engine) as jit:
                served = ServedRequest(jit.serve(capability, data))
    if as_json:
        print_json(served.result.to_json() if node_url is None else served.to_json())
    else:
        show_result(served)


def show_result(served: ServedRequest) -> None:
    """A result and its receipt, wherever the round was served, as text."""
    result = served.result
    answers = None if result.answers is None else list(result.answers)
    console.print(f"answers: {'none (no worker answered)' if answers is None else answers}")
    table = Table(title=f"round {result.round_id}")
    for column in ("worker", "CID", "score", "reward", "slashed", "note"):
        table.add_column(column)
    for w in result.workers:
        note = w.failure or ("terminated" if w.terminated else "")
        table.add_row(
            short(w.id),
            short(w.cid, 8),
            str(w.score),
            f"{w.reward_wei / 1e18:.2f}",
            f"{w.slashed_wei / 1e18:.2f}",
            note,
        )
    console.print(table)
    tx = result.transactions
    console.print(
        f"receipt: round {result.round_id}, open {tx['open']}, close {tx['close']}",
        highlight=False,
    )
    if served.node:
        console.print(f"served by swarm node {served.node}", highlight=False)


@click.group("round")
def round_group() -> None:
    """The oracle operator's rounds: pending ones, and recovery after a crash."""


@round_group.command("recover")
@engine_options
@json_option("what happened to each round")
def round_recover(engine: EngineOptions, as_json: bool) -> None:
    """Finish or abandon the rounds an interrupted node left open, as the chain says they
    stand: still open and in time → executed, proved and closed; expired → abandoned."""
    with open_engine(engine) as jit:
        outcomes = jit.recover()
    if as_json:
        print_json([{"round_id": r, "outcome": what} for r, what in outcomes])
        return
    if not outcomes:
        console.print("no interrupted rounds")
    for round_id, what in outcomes:
        console.print(f"round {round_id}: {what}")
