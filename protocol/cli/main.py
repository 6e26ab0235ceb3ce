"""``memjit``: the operator command line.

Errors print as one line on stderr and exit non-zero; ``-v`` adds the traceback and debug
logs.
"""

from __future__ import annotations

import logging
import sys
import traceback

import click
from rich.markup import escape

from oracle.errors import OracleError
from protocol import __version__
from protocol.cli.chain_cmds import chain, deploy
from protocol.cli.compile_cmd import compile_contracts
from protocol.cli.demo_cmd import demo
from protocol.cli.node_cmds import node
from protocol.cli.operator_cmds import operator
from protocol.cli.oracle_cmds import oracle
from protocol.cli.output import err_console
from protocol.cli.pool_cmds import pool
from protocol.cli.request_cmds import request, round_group
from protocol.cli.run_cmds import worker_build, worker_eval, worker_run
from protocol.cli.store_cmds import cache, store
from protocol.cli.swarm_cmds import swarm
from protocol.cli.web_cmd import web
from protocol.cli.worker_cmds import faucet, worker
from protocol.errors import MemJitError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Show debug logs and tracebacks.")
@click.version_option(__version__, prog_name="memjit")
def cli(verbose: bool) -> None:
    """MemJit: proof-of-utility for WebAssembly AI workers.

    Start with `memjit demo`: it runs everything in this process, no servers needed.
    """
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


cli.add_command(compile_contracts)
cli.add_command(chain)
cli.add_command(deploy)
cli.add_command(demo)
cli.add_command(faucet)
cli.add_command(worker)
cli.add_command(store)
cli.add_command(cache)
cli.add_command(oracle)
cli.add_command(request)
cli.add_command(round_group)
cli.add_command(node)
cli.add_command(swarm)
cli.add_command(operator)
cli.add_command(pool)
cli.add_command(web)
worker.add_command(worker_run)
worker.add_command(worker_build)
worker.add_command(worker_build, "publish")
worker.add_command(worker_eval)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``memjit`` console script."""
    args = sys.argv[1:] if argv is None else argv
    verbose = any(a in ("-v", "--verbose") for a in args)
    try:
        status = cli.main(args=args, prog_name="memjit", standalone_mode=False)
        if isinstance(status, int) and status:  # a command's click.exceptions.Exit(status)
            sys.exit(status)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.UsageError as exc:  # one line, like every other error: the cause and help
        where = exc.ctx.command_path if exc.ctx is not None else "memjit"
        message = f"{exc.format_message()} (see `{where} --help`)"
        err_console.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (click.Abort, KeyboardInterrupt):
        err_console.print("aborted")
        sys.exit(130)
    except (MemJitError, OracleError) as exc:
        if verbose:
            traceback.print_exc()
        err_console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(getattr(exc, "exit_code", 1))
    except Exception as exc:  # a bug: still one line unless -v
        if verbose:
            traceback.print_exc()
        err_console.print(
            f"[red]internal error:[/red] {type(exc).__name__}: {escape(str(exc))} (run with -v for details)",
            soft_wrap=True,
        )
        sys.exit(2)


if __name__ == "__main__":
    main()
