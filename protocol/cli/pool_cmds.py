"""``memjit pool start|status``: the Celery pool that runs rounds' workers for engines started
with ``--broker`` (or ``MEMJIT_BROKER``)."""

from __future__ import annotations

import os
import socket
from typing import Any

import click
from rich.table import Table

from protocol.cli.context import broker_option, json_option, load_settings, store_options
from protocol.cli.output import console, print_json
from protocol.errors import ConfigError, PoolUnavailable
from protocol.settings import Settings


@click.group()
def pool() -> None:
    """The Celery pool that runs workers for engines started with --broker."""


def _pool_settings(broker: str | None, **overrides: Any) -> Settings:
    settings = load_settings(broker=broker, **overrides)
    if settings.broker is None:
        raise ConfigError("no broker: pass --broker redis://HOST:PORT/DB or set MEMJIT_BROKER")
    return settings


@pool.command("start")
@broker_option
@click.option(
    "-c",
    "--concurrency",
    type=click.IntRange(1, 512),
    default=None,
    help="Worker processes [default: one per CPU].",
)
@click.option("--name", default=None, help="Worker name [default: memjit-PID@HOST].")
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    default="WARNING",
    show_default=True,
    help="Celery's log level (INFO logs every run).",
)
@store_options
def pool_start(
    broker: str | None,
    concurrency: int | None,
    name: str | None,
    log_level: str,
    store: str | None,
    ipfs_api: str | None,
) -> None:
    """Run a pool worker until SIGTERM or Ctrl-C (which let runs in hand finish; a second
    Ctrl-C stops at once, and other workers take those runs over).

    Each process keeps its own wasmtime engine and compiled-module cache and reads modules
    from the configured store, which must hold what the engines publish: the same IPFS node
    (--store kubo), or on one machine the same MEMJIT_HOME. Runs obey the limits the engine
    sends with them, so a round scores the same on the pool as in the engine's process."""
    from protocol.pool.worker import start_worker

    settings = _pool_settings(broker, store=store, ipfs_api=ipfs_api)
    processes = concurrency or os.cpu_count() or 1
    worker_name = name or f"memjit-{os.getpid()}@{socket.gethostname()}"

    def ready(line: str) -> None:
        console.print(line, highlight=False, soft_wrap=True)

    start_worker(settings, processes, worker_name, log_level.upper(), on_ready=ready)


@pool.command("status")
@broker_option
@click.option(
    "--timeout",
    type=click.FloatRange(0.1, 60),
    default=1.0,
    show_default=True,
    help="Seconds to wait for workers to answer.",
)
@json_option("the workers and the queue")
def pool_status(broker: str | None, timeout: float, as_json: bool) -> None:
    """The pool workers answering on the broker, what they are running, and the queue."""
    from protocol.pool.status import pool_status as read_status

    status = read_status(_pool_settings(broker), timeout)
    if as_json:
        print_json(status.to_json())
        return
    table = Table("worker", "processes", "running", "runs done", title=f"pool on {status.broker}")
    for worker in status.workers:
        table.add_row(worker.name, str(worker.processes), str(worker.running), str(worker.done))
    console.print(table)
    console.print(f"{status.queued} run(s) waiting in the queue", highlight=False)
    if not status.workers:
        raise PoolUnavailable(f"no pool worker answers on {status.broker}")
