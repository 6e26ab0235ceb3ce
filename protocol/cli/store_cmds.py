"""``memjit store put|get`` and ``memjit cache stats|purge``."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from rich.table import Table

from protocol.cli.context import json_option, load_settings, out_option, read_input, store_options
from protocol.cli.output import console, print_json, short_cid
from protocol.errors import ConfigError
from protocol.runtime import WorkerRuntime
from protocol.store import open_store
from protocol.units import format_size


@click.group()
def store() -> None:
    """Put content into the content store and get it back, verified against its CID."""


@store.command("put")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True))
@click.option("--pin", is_flag=True, help="Pin the content so garbage collection keeps it.")
@store_options
def store_put(file: Path, pin: bool, store: str | None, ipfs_api: str | None) -> None:
    """Store FILE (or - for stdin) and print its CID."""
    data = read_input(file)
    content = open_store(load_settings(store=store, ipfs_api=ipfs_api))
    cid = content.put(data)
    if pin:
        content.pin(cid)
    click.echo(cid)


@store.command("get")
@click.argument("cid")
@out_option("Write the content here instead of stdout.")
@store_options
def store_get(cid: str, out: Path | None, store: str | None, ipfs_api: str | None) -> None:
    """Fetch CID, check it hashes to CID, and write it out."""
    data = open_store(load_settings(store=store, ipfs_api=ipfs_api)).get(cid)
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        out.write_bytes(data)
        console.print(f"wrote {len(data)} bytes to {out}")


@click.group()
def cache() -> None:
    """Inspect and trim the compiled-module cache."""


@cache.command("stats")
@json_option("the statistics")
def cache_stats(as_json: bool) -> None:
    """Cached modules and their usage: hits, runs, failures, fuel, utility."""
    with WorkerRuntime.from_settings(load_settings()) as runtime:
        cached = set(runtime.cache.cached_cids())
        usage = [u for u in runtime.cache.usage.all() if u.cid in cached]
        stats = runtime.cache.stats()
    now = time.time()
    if as_json:
        print_json(
            {
                "disk_entries": stats.disk_entries,
                "disk_bytes": stats.disk_bytes,
                "modules": [{**vars(u), "utility": round(u.utility(now), 4)} for u in usage],
            }
        )
        return
    table = Table(
        title=f"{stats.disk_entries} cached modules, {format_size(stats.disk_bytes)} on disk"
    )
    for column in (
        "cid",
        "size",
        "compiles",
        "hits",
        "runs",
        "failures",
        "fuel",
        "idle",
        "utility",
    ):
        table.add_column(column, justify="left" if column == "cid" else "right")
    for u in usage:
        table.add_row(
            short_cid(u.cid),
            format_size(u.size_bytes),
            str(u.compiles),
            str(u.hits),
            str(u.runs),
            str(u.failures),
            f"{u.fuel:,}",
            _idle(now - u.last_used),
            f"{u.utility(now):.2f}",
        )
    console.print(table)


@cache.command("purge")
@click.option("--all", "purge_all", is_flag=True, help="Evict every cached module.")
@click.option(
    "--min-utility",
    type=float,
    default=0.1,
    show_default=True,
    help="Evict modules whose utility (successes / (1 + failures) / (1 + idle days)) is lower.",
)
def cache_purge(purge_all: bool, min_utility: float) -> None:
    """Evict low-utility modules (or all) from the memory and disk cache."""
    if min_utility < 0:
        raise ConfigError("--min-utility must not be negative")
    with WorkerRuntime.from_settings(load_settings()) as runtime:
        purged = (
            runtime.cache.clear() if purge_all else runtime.cache.purge_low_utility(min_utility)
        )
    for cid in purged:
        console.print(f"evicted {cid}")
    console.print(f"{len(purged)} module(s) evicted")


def _idle(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172_800:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86_400:.0f} d"
