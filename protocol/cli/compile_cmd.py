"""``memjit compile``: rebuild (or check) the committed contract artifacts."""

from __future__ import annotations

import click

from protocol.cli.output import console
from protocol.compiler import compile_all
from protocol.errors import CompileError


@click.command("compile")
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; fail if the committed artifacts differ from a fresh compile.",
)
def compile_contracts(check: bool) -> None:
    """Compile the Solidity contracts with the pinned solc-js (needs Node and `npm install`)."""
    report = compile_all(check=check)
    if check:
        if report.stale:
            raise CompileError(
                "artifacts are stale: "
                + ", ".join(report.stale)
                + " (run `memjit compile` and commit)"
            )
        console.print("artifacts are current")
        return
    for path in report.written:
        console.print(f"wrote {path}")
    if not report.written:
        console.print("artifacts already current")
