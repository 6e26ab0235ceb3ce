"""Running a command's HTTP server in the foreground until SIGINT or SIGTERM: its --host and
--port options, binding the port, serving."""

from __future__ import annotations

import signal
import socketserver
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any, TypeVar

import click

from protocol.cli.output import console
from protocol.errors import ConfigError

F = TypeVar("F", bound=Callable[..., Any])
S = TypeVar("S", bound=socketserver.BaseServer)

#: ``memjit web``'s port, also ``memjit demo --web``'s.
DASHBOARD_PORT = 8690


def listen_options(default_port: int) -> Callable[[F], F]:
    """``--host`` and ``--port``: where a command's server listens."""

    def decorate(func: F) -> F:
        func = click.option(
            "--port",
            type=click.IntRange(0, 65535),
            default=default_port,
            show_default=True,
            help="Port to listen on; 0 picks a free one (printed at start).",
        )(func)
        return click.option(
            "--host", default="127.0.0.1", show_default=True, help="Address to listen on."
        )(func)

    return decorate


def listen(make: Callable[[tuple[str, int]], S], host: str, port: int) -> S:
    """The server ``make`` builds on ``host:port``; a ConfigError names a port it cannot bind."""
    try:
        return make((host, port))
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def serve_until_signalled(server: socketserver.BaseServer, ready: str) -> None:
    """Prints ``ready`` (the line a supervisor waits for), then serves until SIGINT or
    SIGTERM; the caller closes the server."""

    def stop(_signum: int, _frame: FrameType | None) -> None:
        # shutdown() waits for serve_forever to return, so it cannot run on its thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    console.print(ready, highlight=False, soft_wrap=True)
    sys.stdout.flush()  # a supervisor reading our output learns the port now
    server.serve_forever(poll_interval=0.2)
