"""``memjit web``: the dashboard page of a deployment, with staking through a browser wallet."""

from __future__ import annotations

import webbrowser

import click

from protocol.chain import MemJitContracts
from protocol.cli.context import RPC_HELP, contracts_for, load_settings, rpc_option, store_options
from protocol.cli.output import console
from protocol.cli.serving import DASHBOARD_PORT, listen, listen_options, serve_until_signalled
from protocol.runtime import WorkerRuntime
from protocol.web import ChainView, WebServer, WebState


@click.command()
@rpc_option(RPC_HELP)
@listen_options(DASHBOARD_PORT)
@click.option("--open", "open_browser", is_flag=True, help="Open the page in a browser.")
@store_options
def web(
    rpc_url: str | None,
    host: str,
    port: int,
    open_browser: bool,
    store: str | None,
    ipfs_api: str | None,
) -> None:
    """Serve the dashboard of the deployment recorded for the chain, until Ctrl-C.

    The page shows the leaderboard, recent rounds with their transactions, the score
    distribution with its 3-sigma line and the SWT supply, all read from the chain. With a
    browser wallet (MetaMask and the like) on the same chain it registers workers with a
    permit stake, adds stake, exits and withdraws. The server itself holds no key."""
    settings = load_settings(store=store, ipfs_api=ipfs_api)
    mj = contracts_for(rpc_url, settings)
    with WorkerRuntime.from_settings(settings) as runtime:
        serve_dashboard(mj, runtime, host, port, open_browser)


def serve_dashboard(
    mj: MemJitContracts, runtime: WorkerRuntime, host: str, port: int, open_browser: bool
) -> None:
    """Serve the dashboard of ``mj`` (modules checked in ``runtime``'s store) until SIGINT or
    SIGTERM."""
    state = WebState(ChainView(mj), runtime)
    state.config()  # reads the token once: a broken deployment fails here, not in the page
    server = listen(lambda address: WebServer(address, state), host, port)
    with server:
        if open_browser:
            webbrowser.open(server.url)  # the port already listens: the page waits for us
        serve_until_signalled(
            server,
            f"dashboard of {mj.chain.name}, WorkerRegistry {mj.registry.address}, on {server.url}",
        )
    console.print("dashboard stopped")
