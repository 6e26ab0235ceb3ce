"""``memjit worker run|build|eval``: workers in the sandbox, from a file or by CID."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from oracle.datasets import load_digits_test
from protocol.cli.context import (
    input_option,
    json_option,
    load_settings,
    out_option,
    read_input,
    store_options,
)
from protocol.cli.output import console, print_json, short_cid
from protocol.runtime import WorkerRuntime, measure_accuracy
from protocol.toolchain.sources import build_file

#: How much of a binary output ``worker run`` shows as hex.
_PREVIEW_BYTES = 256


@click.command("run")
@click.argument("target", metavar="FILE|CID")
@input_option("Input bytes: a file, or - for stdin.")
@click.option("--fuel", default=None, help="Fuel budget [default: the configured one, 1e9].")
@click.option("--memory", default=None, help="Memory cap, e.g. 64MiB [default: configured].")
@click.option("--deadline", type=float, default=None, help="Wall-clock deadline in seconds.")
@out_option("Write the raw output here.")
@json_option("the result")
@store_options
def worker_run(
    target: str,
    input_file: Path,
    fuel: str | None,
    memory: str | None,
    deadline: float | None,
    out: Path | None,
    as_json: bool,
    store: str | None,
    ipfs_api: str | None,
) -> None:
    """Run a worker (.wasm, .wat, .c, model .json, or a CID) on an input; print the output,
    the fuel it used and the time it took."""
    settings = load_settings(
        store=store,
        ipfs_api=ipfs_api,
        fuel_limit=fuel,
        memory_limit_bytes=memory,
        deadline_s=deadline,
    )
    data = read_input(input_file)
    with WorkerRuntime.from_settings(settings) as runtime:
        loaded = runtime.resolve(target)
        result = runtime.run(loaded, data)
    if out is not None:
        out.write_bytes(result.output)
    if as_json:
        print_json(
            {
                "cid": loaded.cid,
                "output_hex": result.output.hex(),
                "output_bytes": len(result.output),
                "fuel_used": result.fuel_used,
                "elapsed_ms": round(result.elapsed_s * 1000, 3),
                "logs": list(result.logs),
            }
        )
        return
    if out is None:
        console.print(_preview(result.output), highlight=False, markup=False)
    for line in result.logs:
        console.print(f"[dim]log:[/dim] {line}", highlight=False)
    console.print(
        f"[dim]{len(result.output)} bytes · fuel {result.fuel_used:,} · "
        f"{result.elapsed_s * 1000:.2f} ms · {loaded.cid}[/dim]",
        highlight=False,
    )


@click.command("build")
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@out_option("Also write the module here.")
@json_option("the result")
@store_options
def worker_build(
    source: Path, out: Path | None, as_json: bool, store: str | None, ipfs_api: str | None
) -> None:
    """Build a worker module from SOURCE (.wat, .c, or trained weights as memjit-dense/1
    .json), check it against the ABI, publish it to the store and print its CID."""
    wasm = build_file(source)
    with WorkerRuntime.from_settings(load_settings(store=store, ipfs_api=ipfs_api)) as runtime:
        cid = runtime.publish(wasm)
    if out is not None:
        out.write_bytes(wasm)
    if as_json:
        print_json({"cid": cid, "bytes": len(wasm), "out": str(out) if out else None})
        return
    console.print(f"{cid}  ({len(wasm):,} bytes{f', written to {out}' if out else ''})")


@click.command("eval")
@click.argument("targets", nargs=-1, required=True, metavar="FILE|CID...")
@json_option("the results")
@store_options
def worker_eval(
    targets: tuple[str, ...], as_json: bool, store: str | None, ipfs_api: str | None
) -> None:
    """Accuracy of digits-8x8 workers on the 450 held-out items, best first.

    e.g. memjit worker eval workers/digits/models/*.json workers/hostile/random.wat
    """
    dataset = load_digits_test()
    with WorkerRuntime.from_settings(load_settings(store=store, ipfs_api=ipfs_api)) as runtime:
        results = [measure_accuracy(runtime, _label(target), target, dataset) for target in targets]
    results.sort(key=lambda r: r.accuracy, reverse=True)
    if as_json:
        print_json([vars(r) for r in results])
        return
    table = Table(title=f"{dataset.task}: {len(dataset)} held-out items")
    for column in ("worker", "accuracy", "fuel", "time", "cid"):
        table.add_column(
            column, justify="right" if column in ("accuracy", "fuel", "time") else "left"
        )
    for r in results:
        table.add_row(
            r.name,
            f"{r.accuracy:.2%}" if r.error is None else f"[red]{r.error}[/red]",
            f"{r.fuel_used:,}",
            f"{r.elapsed_s * 1000:.1f} ms",
            short_cid(r.cid),
        )
    console.print(table)


def _label(target: str) -> str:
    """A short name for a worker: the file name, or the CID's start."""
    path = Path(target)
    return path.name if path.is_file() else target[:16] + "…"


def _preview(output: bytes) -> str:
    try:
        text = output.decode("utf-8")
        if all(c.isprintable() or c in "\n\t" for c in text):
            return text
    except UnicodeDecodeError:
        pass
    shown = output[:_PREVIEW_BYTES].hex(" ")
    more = f" … ({len(output)} bytes)" if len(output) > _PREVIEW_BYTES else ""
    return f"hex: {shown}{more}"
