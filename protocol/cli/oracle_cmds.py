"""``memjit oracle setup|draw|commit|prove|verify``: the oracle operator's proofs."""

from __future__ import annotations

import json
import time
from functools import partial
from pathlib import Path

import click
from rich.table import Table

from oracle.canaries import shipped_canaries
from oracle.circuit import (
    MAX_CANARIES,
    MAX_WORKERS,
    CircuitShape,
    ScoringInputs,
    scoring_circuit,
)
from oracle.errors import MalformedInput, OracleError
from oracle.evaluation import EvaluationSet
from oracle.files import write_atomic
from oracle.pools import read_pool
from oracle.prover import (
    INSECURE_SETUP_NOTE,
    PROOF,
    PROVING_KEY,
    PUBLIC,
    VERIFICATION_KEY,
    ScoringKeys,
    dev_keys_folder,
    load_keys,
    prove_circuit,
    read_proof,
    save_keys,
    setup_scoring,
    verify_scores,
    write_proof,
)
from oracle.scoring import canary_outputs
from oracle.snarkjs import write_r1cs, write_wtns
from protocol.cli.context import (
    canary_pool_option,
    json_option,
    load_settings,
    out_option,
    store_options,
)
from protocol.cli.output import console, err_console, print_json
from protocol.errors import ConfigError, ProofError
from protocol.runtime import WorkerRuntime


def keys_option(func: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--keys",
        "keys_dir",
        type=click.Path(path_type=Path, file_okay=False),
        default=None,
        help="Key folder from `memjit oracle setup` [default: the packaged development keys].",
    )(func)


def open_keys(keys_dir: Path | None) -> ScoringKeys:
    """The keys of ``keys_dir``, or the packaged development keys."""
    return load_keys(keys_dir or dev_keys_folder())


def shape_options(func: click.decorators.FC) -> click.decorators.FC:
    """``--workers`` (k) and ``--canaries`` (m): the scoring circuit's shape."""
    func = click.option(
        "--canaries",
        type=click.IntRange(1, MAX_CANARIES),
        default=CircuitShape.canaries,
        show_default=True,
        help="Canaries per round (m).",
    )(func)
    return click.option(
        "--workers",
        type=click.IntRange(1, MAX_WORKERS),
        default=CircuitShape.workers,
        show_default=True,
        help="Score slots (k).",
    )(func)


def read_evaluation(path: Path) -> EvaluationSet:
    try:
        return EvaluationSet.from_json(json.loads(path.read_text()))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise ProofError(f"{path} is not JSON: {exc.msg} (line {exc.lineno})") from exc
    except OracleError as exc:
        raise ProofError(f"{path}: {exc}") from exc


@click.group()
def oracle() -> None:
    """Evaluation sets, commitments and Groth16 proofs of round scores."""


@oracle.command("setup")
@shape_options
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Key folder to write [default: <home>/oracle/k<workers>-m<canaries>].",
)
@click.option("--force", is_flag=True, help="Replace keys already in the folder.")
def oracle_setup(workers: int, canaries: int, out_dir: Path | None, force: bool) -> None:
    """Make proving and verification keys for the scoring circuit (INSECURE: a single-party
    development setup; whoever runs it could forge proofs)."""
    shape = CircuitShape(workers, canaries)
    folder = out_dir or load_settings().home / "oracle" / shape.name
    if (folder / PROVING_KEY).exists() and not force:
        raise ConfigError(f"{folder} already holds keys: pass --force to replace them")
    err_console.print(f"[yellow]warning:[/yellow] {INSECURE_SETUP_NOTE}", highlight=False)
    started = time.perf_counter()
    with console.status(f"setting up circuit {shape.name}"):
        keys = setup_scoring(shape)
        save_keys(keys, folder)
    console.print(
        f"keys for {shape.name} ({keys.pk.n_wires} wires, domain {keys.pk.domain_size}) "
        f"in {folder} ({time.perf_counter() - started:.1f} s)"
    )


@oracle.command("circuit")
@shape_options
@out_option("Write the circuit as an .r1cs file (iden3's format, which snarkjs reads).")
@json_option("the circuit's size")
def oracle_circuit(workers: int, canaries: int, out: Path | None, as_json: bool) -> None:
    """Show the scoring circuit's size, and export it for snarkjs."""
    shape = CircuitShape(workers, canaries)
    system = scoring_circuit(shape).system()
    if out is not None:
        write_r1cs(system, out)
    size = {
        "shape": shape.name,
        "constraints": len(system.constraints),
        "wires": system.n_wires,
        "public_signals": system.n_public,
        "digest": system.digest().hex(),
    }
    if as_json:
        print_json(size)
        return
    console.print(
        f"{shape.name}: {size['constraints']:,} constraints, {size['wires']:,} wires, "
        f"{size['public_signals']} public signals" + (f"; wrote {out}" if out else "")
    )


@oracle.command("draw")
@click.option(
    "--canaries",
    type=click.IntRange(1, MAX_CANARIES),
    default=CircuitShape.canaries,
    show_default=True,
    help="How many canaries.",
)
@canary_pool_option
@out_option("Write the evaluation set here (it holds the hidden answers: keep it private).")
def oracle_draw(canaries: int, canary_pool: Path | None, out: Path | None) -> None:
    """Draw a round's canaries, as the engine does, with a fresh random salt: fresh
    variations of the items of a private pool, or of the shipped held-out digits."""
    pool = load_settings(canary_pool=canary_pool).canary_pool
    source = shipped_canaries() if pool is None else read_pool(pool)
    evaluation = source.draw(canaries)
    text = json.dumps(evaluation.to_json(), indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
        return
    write_atomic(out, text.encode())  # private: it holds the hidden answers
    console.print(
        f"{len(evaluation)} canaries of {evaluation.task} in {out}; commitment {evaluation.commitment()}"
    )


@oracle.command("commit")
@click.argument(
    "evaluation_file", metavar="EVALSET", type=click.Path(path_type=Path, dir_okay=False)
)
@json_option("the commitment")
def oracle_commit(evaluation_file: Path, as_json: bool) -> None:
    """Print the commitment of an evaluation set: Poseidon(salt, m, answers)."""
    evaluation = read_evaluation(evaluation_file)
    commitment = evaluation.commitment()
    if as_json:
        print_json(
            {"commitment": str(commitment), "canaries": len(evaluation), "task": evaluation.task}
        )
    else:
        click.echo(commitment)


def _run_outputs(
    targets: tuple[str, ...], evaluation: EvaluationSet, store: str | None, ipfs_api: str | None
) -> list[bytes]:
    outputs = []
    with WorkerRuntime.from_settings(load_settings(store=store, ipfs_api=ipfs_api)) as runtime:
        for target in targets:
            run = runtime.attempt(partial(runtime.resolve, target), evaluation.batch())
            if run.failure is not None:
                err_console.print(f"[dim]{target}: {run.failure}: scores 0[/dim]", highlight=False)
            outputs.append(canary_outputs(run.output, len(evaluation)))
    return outputs


def _read_outputs(path: Path, canaries: int) -> list[bytes]:
    try:
        raw = json.loads(path.read_text())
        if not isinstance(raw, list):
            raise ValueError("expected a JSON list, one hex string (or null) per worker")
        return [
            canary_outputs(None if item is None else bytes.fromhex(item), canaries) for item in raw
        ]
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    except (ValueError, TypeError) as exc:
        raise ProofError(f"{path}: {exc}") from exc


@oracle.command("prove")
@click.option(
    "--evaluation",
    "evaluation_file",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The round's evaluation set (from `oracle draw`).",
)
@click.option(
    "--worker",
    "workers",
    multiple=True,
    metavar="FILE|CID",
    help="A worker of the round, in round order: run on the canaries now.",
)
@click.option(
    "--outputs",
    "outputs_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Instead of --worker: a JSON list of each worker's canary outputs as hex (null for a failed worker).",
)
@click.option(
    "--round",
    "round_id",
    type=click.IntRange(0),
    required=True,
    help="The on-chain round id the proof is for.",
)
@click.option(
    "--request-commitment",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="The round's request commitment.",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for proof.json, public.json and verification_key.json.",
)
@click.option(
    "--wtns",
    "wtns_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Also write the witness as a .wtns file (it holds the hidden answers: keep it private).",
)
@keys_option
@json_option("the scores and public signals")
@store_options
def oracle_prove(
    evaluation_file: Path,
    workers: tuple[str, ...],
    outputs_file: Path | None,
    round_id: int,
    request_commitment: int,
    out_dir: Path,
    wtns_file: Path | None,
    keys_dir: Path | None,
    as_json: bool,
    store: str | None,
    ipfs_api: str | None,
) -> None:
    """Score a round's workers on the canaries and prove the scores (Groth16)."""
    if bool(workers) == (outputs_file is not None):
        raise ConfigError("give the round's workers with --worker, or their outputs with --outputs")
    keys = open_keys(keys_dir)
    evaluation = read_evaluation(evaluation_file)
    if outputs_file is not None:
        outputs = _read_outputs(outputs_file, len(evaluation))
    else:
        outputs = _run_outputs(workers, evaluation, store, ipfs_api)
    inputs = ScoringInputs(
        round_id, request_commitment, evaluation.answers, evaluation.salt, tuple(outputs)
    )
    started = time.perf_counter()
    with console.status("proving"):
        builder = scoring_circuit(keys.shape, inputs)
        result = prove_circuit(keys, builder)
    elapsed = time.perf_counter() - started
    write_proof(result, keys.vk, out_dir)
    if wtns_file is not None:
        write_wtns(builder.witness(), wtns_file)
    if as_json:
        print_json(
            {
                "round_id": round_id,
                "scores": list(result.scores[: len(outputs)]),
                "public_signals": [str(s) for s in result.public_signals],
                "prove_s": round(elapsed, 3),
                "out": str(out_dir),
            }
        )
        return
    table = Table(title=f"round {round_id}: scores on {len(evaluation)} canaries")
    table.add_column("worker")
    table.add_column("score", justify="right")
    for label, value in zip(
        workers or [f"#{i}" for i in range(len(outputs))], result.scores, strict=False
    ):
        table.add_row(label, str(value))
    console.print(table)
    console.print(
        f"proved in {elapsed:.2f} s; wrote {PROOF}, {PUBLIC}, {VERIFICATION_KEY} to {out_dir}"
    )


@oracle.command("verify")
@click.argument("proof_dir", metavar="DIR", type=click.Path(path_type=Path, file_okay=False))
@json_option("the verdict")
def oracle_verify(proof_dir: Path, as_json: bool) -> None:
    """Check DIR's proof.json against public.json and verification_key.json.

    Exit status: 0 valid, 1 invalid, 2 malformed input.
    """
    try:
        vk, result = read_proof(proof_dir)
        valid = verify_scores(vk, result)
    except MalformedInput as exc:
        raise ProofError(f"malformed proof folder {proof_dir}: {exc}", exit_code=2) from exc
    if as_json:
        print_json({"valid": valid, "public_signals": [str(s) for s in result.public_signals]})
    else:
        console.print("[green]valid[/green]" if valid else "[red]invalid proof[/red]")
    if not valid:
        raise click.exceptions.Exit(1)
