"""``memjit chain up|down`` (a local anvil devnet) and ``memjit deploy``."""

from __future__ import annotations

import subprocess
from pathlib import Path

import click
from rich.table import Table

from protocol.chain.anvil import anvil_command, pid_file, port_in_use, start_anvil, stop_detached
from protocol.chain.deployment import (
    SCORE_FLOOR_RANGE,
    SLASH_BPS_RANGE,
    STRIKE_LIMIT_RANGE,
    DeployConfig,
    deploy_memjit,
    save_deployment,
    verifier_artifact,
)
from protocol.cli.context import (
    connect_chain,
    json_option,
    load_settings,
    rpc_option,
    signer_for,
    signer_options,
)
from protocol.cli.output import console, err_console, parse_amount, print_json
from protocol.errors import ChainError, ConfigError
from protocol.units import format_swt

DEFAULT_PORT = 8545


@click.group()
def chain() -> None:
    """Run a local L2 devnet (anvil in OP-stack mode)."""


@chain.command("up")
@click.option("--port", type=click.IntRange(1, 65535), default=DEFAULT_PORT, show_default=True)
@click.option(
    "--detach", is_flag=True, help="Run in the background; stop it with `memjit chain down`."
)
def chain_up(port: int, detach: bool) -> None:
    """Start anvil on 127.0.0.1 (chain id 31337, well-known funded accounts)."""
    if detach:
        settings = load_settings()
        settings.home.mkdir(parents=True, exist_ok=True)
        log_file = settings.home / f"anvil-{port}.log"
        anvil = start_anvil(port, log_file=log_file, detach=True)
        pid_file(settings.home, port).write_text(f"{anvil.process.pid}\n")
        console.print(f"anvil running at {anvil.url} (pid {anvil.process.pid}, log {log_file})")
        console.print(f"stop it with: memjit chain down --port {port}")
        return
    if port_in_use(port):  # start_anvil checks this itself for --detach
        raise ChainError(
            f"port {port} is already in use (another node running? `memjit chain down`)"
        )
    console.print(f"anvil at http://127.0.0.1:{port} — Ctrl-C stops it")
    process = subprocess.Popen(anvil_command(port))
    try:
        code = process.wait()
    except KeyboardInterrupt:
        process.terminate()
        process.wait()
        return
    if code != 0:
        raise ChainError(f"anvil exited with code {code}")


@chain.command("down")
@click.option("--port", type=click.IntRange(1, 65535), default=DEFAULT_PORT, show_default=True)
def chain_down(port: int) -> None:
    """Stop the anvil that `memjit chain up --detach` started."""
    pid = stop_detached(load_settings().home, port)
    console.print(f"stopped anvil (pid {pid}) on port {port}")


@click.command()
@rpc_option("JSON-RPC endpoint [default: the configured one, http://127.0.0.1:8545].")
@signer_options
@click.option("--min-stake", default="100", show_default=True, help="Minimum worker stake, in SWT.")
@click.option(
    "--unbonding-delay",
    type=click.IntRange(min=2),
    default=DeployConfig.unbonding_delay_s,
    show_default=True,
    help="Seconds.",
)
@click.option("--base-rate", default="0.1", show_default=True, help="SWT minted per score point.")
@click.option(
    "--score-floor",
    type=click.IntRange(*SCORE_FLOOR_RANGE),
    default=DeployConfig.score_floor,
    show_default=True,
)
@click.option(
    "--slash-bps",
    type=click.IntRange(*SLASH_BPS_RANGE),
    default=DeployConfig.slash_bps,
    show_default=True,
)
@click.option(
    "--strike-limit",
    type=click.IntRange(*STRIKE_LIMIT_RANGE),
    default=DeployConfig.strike_limit,
    show_default=True,
    help="Strikes (rounds under the floor, less rounds above it) that make a worker terminable.",
)
@click.option(
    "--termination-bps",
    type=click.IntRange(*SLASH_BPS_RANGE),
    default=DeployConfig.termination_bps,
    show_default=True,
    help="Share of stake slashed at termination (half to whoever terminates).",
)
@click.option(
    "--min-population",
    type=click.IntRange(min=11),
    default=DeployConfig.min_population,
    show_default=True,
    help="Scored workers before the 3-sigma rule applies.",
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Deployment record to update [default: $MEMJIT_HOME/deployments.json].",
)
@click.option(
    "--keys",
    "keys_dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="Deploy the verifier of this `memjit oracle setup` key folder (compiled now; needs "
    "npm install) [default: the packaged development keys' verifier].",
)
@click.option(
    "--verifier",
    "verifier_address",
    metavar="ADDRESS",
    default=None,
    help="Use a Groth16 verifier already deployed at ADDRESS.",
)
@json_option("the deployment")
def deploy(
    rpc_url: str | None,
    keystore: Path | None,
    account_index: int,
    min_stake: str,
    unbonding_delay: int,
    base_rate: str,
    score_floor: int,
    slash_bps: int,
    strike_limit: int,
    termination_bps: int,
    min_population: int,
    out_file: Path | None,
    keys_dir: Path | None,
    verifier_address: str | None,
    as_json: bool,
) -> None:
    """Deploy the Groth16 verifier, SWT, WorkerRegistry and UtilityOracle and record their
    addresses.

    By default the verifier is the one generated from the package's development keys
    (INSECURE: their setup was single-party; see `memjit oracle setup`).
    """
    if keys_dir is not None and verifier_address is not None:
        raise ConfigError("give --keys or --verifier, not both")
    settings = load_settings()
    config = DeployConfig(
        min_stake_wei=parse_amount(min_stake),
        unbonding_delay_s=unbonding_delay,
        base_rate_wei=parse_amount(base_rate),
        score_floor=score_floor,
        slash_bps=slash_bps,
        strike_limit=strike_limit,
        termination_bps=termination_bps,
        min_population=min_population,
        round_timeout_s=min(DeployConfig.round_timeout_s, unbonding_delay - 1),
    )
    chain_ = connect_chain(settings, rpc_url, embedded_default=False)
    signer = signer_for(chain_, keystore, account_index)
    packaged_keys = verifier_address is None and keys_dir is None
    verifier = verifier_address or verifier_artifact(keys_dir)
    result = deploy_memjit(chain_, signer, config, verifier=verifier)
    record = out_file or settings.deployments_file
    save_deployment(record, result.deployment)
    if packaged_keys:  # after the fact, so that a failed deploy stays one line
        err_console.print(
            "[yellow]warning:[/yellow] the verifier is the packaged INSECURE development keys' "
            "(pass --keys DIR from `memjit oracle setup` for your own)",
            highlight=False,
        )
    if as_json:
        print_json(result.deployment.to_json())
        return
    d = result.deployment
    table = Table(title=f"MemJit on chain {d.chain_id}", show_header=True)
    table.add_column("contract")
    table.add_column("address")
    table.add_row("SWT", d.swt)
    table.add_row("WorkerRegistry", d.registry)
    table.add_row("UtilityOracle", d.oracle)
    table.add_row("Groth16Verifier", d.verifier or "none (rounds cannot close)")
    console.print(table)
    console.print(
        f"deployer {d.deployer}; min stake {format_swt(config.min_stake_wei)}; recorded in {record}"
    )
