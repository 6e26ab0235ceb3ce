"""The swarm on the command line: the options that make ``memjit node start`` join a swarm,
and ``memjit swarm peers|find``, which ask a running node."""

from __future__ import annotations

import functools
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.table import Table

from protocol.api.client import get_from_node
from protocol.cli.context import json_option
from protocol.cli.output import console, print_json
from protocol.engine import JITEngine, RequestResult
from protocol.engine.capabilities import CAPABILITIES
from protocol.errors import ConfigError
from protocol.settings import Settings
from protocol.store import ContentStore

if TYPE_CHECKING:  # py-libp2p is the optional `swarm` extra: imported only when used
    from protocol.swarm.service import SwarmService

DEFAULT_SWARM_PORT = 8701
DEFAULT_NODE_URL = "http://127.0.0.1:8700"


@dataclass(frozen=True)
class SwarmOptions:
    enabled: bool
    host: str
    port: int
    bootstrap: tuple[str, ...]
    capabilities: tuple[str, ...]


def swarm_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The swarm's options on ``node start``, passed as one ``swarm: SwarmOptions``."""

    @functools.wraps(func)
    def command(
        *args: Any,
        swarm: bool,
        swarm_host: str,
        swarm_port: int | None,
        bootstrap: tuple[str, ...],
        capabilities: tuple[str, ...],
        route_only: bool,
        **kwargs: Any,
    ) -> Any:
        enabled = bool(swarm or bootstrap or swarm_port is not None)
        if route_only and capabilities:
            raise click.UsageError("--route-only serves no capability: drop --capability")
        if route_only and not enabled:
            raise click.UsageError("--route-only needs a swarm to route to (--bootstrap)")
        served = () if route_only else capabilities or tuple(CAPABILITIES)
        port = DEFAULT_SWARM_PORT if swarm_port is None else swarm_port
        options = SwarmOptions(enabled, swarm_host, port, bootstrap, served)
        return func(*args, swarm=options, **kwargs)

    options = (
        click.option(
            "--swarm",
            is_flag=True,
            help="Join the swarm (implied by --bootstrap and --swarm-port).",
        ),
        click.option(
            "--swarm-host",
            default="127.0.0.1",
            show_default=True,
            help="Address the swarm listens on. Peers can send requests that spend the "
            "operator's gas: open it beyond loopback only to peers you accept.",
        ),
        click.option(
            "--swarm-port",
            type=click.IntRange(0, 65535),
            default=None,
            help=f"Port of the swarm's libp2p host; 0 picks a free one [default: "
            f"{DEFAULT_SWARM_PORT}].",
        ),
        click.option(
            "--bootstrap",
            multiple=True,
            metavar="MULTIADDR",
            help="A peer to join through, /ip4/…/tcp/…/p2p/<peer id> as printed by its "
            "`node start` (repeatable).",
        ),
        click.option(
            "--capability",
            "capabilities",
            multiple=True,
            type=click.Choice(sorted(CAPABILITIES)),
            help="Serve only this capability here (repeatable); default: every one. Requests "
            "for others go to peers that serve them.",
        ),
        click.option(
            "--route-only", is_flag=True, help="Serve no capability here: route every request."
        ),
    )
    wrapped: Callable[..., Any] = command
    for option in reversed(options):
        wrapped = option(wrapped)
    return wrapped


class SwarmSetup:
    """Builds the node's swarm in two steps: the store the engine reads modules through
    (before the engine exists), then the backend that runs peers' requests (after)."""

    def __init__(self, options: SwarmOptions, settings: Settings) -> None:
        try:  # the first import of py-libp2p: the later ones in this class cannot fail
            from protocol.swarm.node import parse_peer_address
            from protocol.swarm.shelf import Shelf
        except ImportError as exc:
            raise ConfigError(
                f"the swarm needs py-libp2p: pip install 'memjit[swarm]' ({exc})"
            ) from None
        for address in options.bootstrap:  # a typo fails now; a silent peer only later
            parse_peer_address(address)
        self.options = options
        folder = settings.home / "swarm"
        self._shelf = Shelf(folder / "shelf.json")
        self._identity = load_identity(folder / "identity")
        self.service: SwarmService | None = None

    def wrap_store(self, local: ContentStore) -> ContentStore:
        from protocol.swarm.node import SwarmNode
        from protocol.swarm.service import SwarmService, SwarmStore

        node = SwarmNode(
            local, self.options.capabilities, shelf=self._shelf, identity=self._identity
        )
        self.service = SwarmService(
            node, self.options.port, self.options.bootstrap, self.options.host
        )
        return SwarmStore(local, self.service)

    def start(self, serve: Callable[[str, bytes], RequestResult], jit: JITEngine) -> SwarmService:
        """Start the swarm node with the engine behind it; capabilities are announced for the
        deployment the engine serves (chain id and oracle address)."""
        from protocol.swarm.service import EngineBackend

        assert self.service is not None, "wrap_store comes first"
        node = self.service.node
        node.backend = EngineBackend(serve, jit.runtime)
        node.scope = f"{jit.mj.chain.chain_id}:{jit.mj.rounds.address}"
        self.service.start()
        return self.service


def load_identity(path: Path) -> bytes:
    """The node's identity seed (its peer id stays the same across restarts), made on first
    use, readable by its owner only."""
    try:
        seed = path.read_bytes()
    except FileNotFoundError:
        seed = secrets.token_bytes(32)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(seed)
    if len(seed) != 32:
        raise ConfigError(f"{path} is not a swarm identity (32 bytes); delete it to make one")
    return seed


# -- memjit swarm ------------------------------------------------------------------------------

node_url_option = click.option(
    "--node",
    "node_url",
    metavar="URL",
    default=DEFAULT_NODE_URL,
    show_default=True,
    help="The running node to ask (`memjit node start --swarm`).",
)


@click.group()
def swarm() -> None:
    """What a running node knows of the swarm."""


@swarm.command("peers")
@node_url_option
@json_option("the peers")
def swarm_peers(node_url: str, as_json: bool) -> None:
    """The peers in the node's routing table, best reputation first."""
    peers = get_from_node(node_url, "/v1/swarm/peers")["peers"]
    if as_json:
        print_json(peers)
        return
    table = Table(title=f"{len(peers)} peers")
    for column in ("peer", "score", "addresses"):
        table.add_column(column)
    for peer in peers:
        table.add_row(peer["peer"], f"{peer['score']:.3f}", " ".join(peer["addresses"]))
    console.print(table)


@swarm.command("find")
@click.argument("capability", type=click.Choice(sorted(CAPABILITIES)))
@node_url_option
@json_option("the nodes found")
def swarm_find(capability: str, node_url: str, as_json: bool) -> None:
    """The nodes of the swarm that serve CAPABILITY (on the node's deployment), best first."""
    found = get_from_node(node_url, f"/v1/swarm/providers/{capability}")["providers"]
    if as_json:
        print_json(found)
        return
    if not found:
        console.print(f"no node of the swarm serves {capability}")
    for entry in found:
        console.print(f"{entry['peer']}  score {entry['score']:.3f}", highlight=False)
