"""``memjit node start``: the engine as a long-running node behind a local HTTP API."""

from __future__ import annotations

import click

from protocol.api import NodeServer, NodeState, close_node
from protocol.cli.context import load_settings
from protocol.cli.engine_context import EngineOptions, engine_options, open_engine
from protocol.cli.output import console
from protocol.cli.serving import listen, listen_options, serve_until_signalled
from protocol.cli.swarm_cmds import SwarmOptions, SwarmSetup, swarm_options

DEFAULT_PORT = 8700


@click.group()
def node() -> None:
    """A long-running node that serves requests over HTTP."""


@node.command("start")
@listen_options(DEFAULT_PORT)
@engine_options
@swarm_options
def node_start(host: str, port: int, engine: EngineOptions, swarm: SwarmOptions) -> None:
    """Serve requests until SIGINT or SIGTERM, as the oracle operator of the recorded
    deployment. Rounds an earlier run left open are first resumed or abandoned (as `memjit
    round recover` does). API: GET /v1/health; POST /v1/requests/CAPABILITY with the items as
    the body, answered with the result and receipt as `memjit request --json` prints them.

    With --swarm or --bootstrap the node joins the swarm: it announces the capabilities it
    serves and the modules it holds, fetches the modules it lacks from peers (verified), and
    sends requests for capabilities it does not serve to the best peer that does."""
    setup = None
    if swarm.enabled:
        setup = SwarmSetup(swarm, load_settings(store=engine.store, ipfs_api=engine.ipfs_api))
    with open_engine(engine, None if setup is None else setup.wrap_store) as jit:
        for round_id, what in jit.recover():
            console.print(f"recovered round {round_id}: {what}", highlight=False)
        state = NodeState(jit, swarm.capabilities)
        server = listen(lambda address: NodeServer(address, state), host, port)
        try:
            if setup is not None:
                state.swarm = setup.start(
                    lambda capability, data: state.serve_local(capability, data).result, jit
                )
                console.print(f"swarm peer {state.swarm.address}", highlight=False, soft_wrap=True)
            served = ", ".join(state.capabilities) or "none (routing only)"
            canaries = jit.canaries.origin if jit.canaries else "the shipped pool, varied"
            serve_until_signalled(
                server,
                f"node serving on {server.url} (chain {jit.mj.chain.chain_id}, oracle "
                f"{jit.mj.rounds.address}, operator {jit.operator.address}; capabilities: "
                f"{served}; workers run: {jit.executor.where}; canaries: {canaries})",
            )
        finally:
            close_node(server)
    console.print("node stopped")
