"""Our Groth16 prover against snarkjs, on the same circuit and witness.

    python bench/prover.py            # table
    python bench/prover.py --json     # figures for machines
    python bench/prover.py --quick    # one small circuit, one run (a smoke run)

For each scoring circuit k × m (score slots × canaries) the same ``.r1cs`` and ``.wtns``
(exported by :mod:`oracle.snarkjs`) are proved by

* ``memjit`` — :func:`oracle.groth16.prove` in this process, with our (INSECURE development)
  keys for the circuit;
* ``snarkjs`` — snarkjs 0.7 in one Node process (bench/peers/snarkjs_prove.cjs): loaded
  once, a warm-up proof, then the timed ones, with a key from ``snarkjs groth16 setup`` on a
  powers of tau generated locally (cached: ``$MEMJIT_PTAU_DIR`` or ``~/.cache/memjit/ptau``;
  2^12 takes about two minutes the first time).

Times are medians; the ratio is ours / snarkjs's (the goal: within 5×). Each snarkjs proof
is checked with our verifier, so both sides prove the same statement. Then the gas of a
round close on anvil: the packaged verifier's ``verifyProof`` and a ``closeRound`` of 5
workers with a real proof (needs the anvil from node_modules).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console
from rich.table import Table

from oracle import groth16
from oracle.circuit import CircuitShape, ScoringInputs, scoring_circuit
from oracle.field import R
from oracle.prover import load_dev_keys, prove_scores, read_proof, verify_scores
from oracle.snarkjs import write_json, write_r1cs, write_wtns
from oracle.solidity import proof_to_calldata
from protocol.chain import MemJitContracts, RoundCommitments, Verifier
from protocol.chain.anvil import start_anvil
from protocol.chain.connection import connect
from protocol.chain.deployment import DeployConfig, deploy_memjit, verifier_artifact
from protocol.chain.signers import devnet_signer
from protocol.testing import snarkjs_cli

ROOT = Path(__file__).resolve().parent.parent
SHAPES = (CircuitShape(2, 4), CircuitShape(5, 16), CircuitShape(5, 32))
QUICK_SHAPES = (CircuitShape(2, 4),)


def round_inputs(shape: CircuitShape, rng: random.Random) -> ScoringInputs:
    answers = bytes(rng.randrange(10) for _ in range(shape.canaries))
    outputs = tuple(
        bytes(a if rng.random() < 0.8 else (a + 1) % 10 for a in answers)
        for _ in range(shape.workers)
    )
    return ScoringInputs(1, rng.randrange(R), answers, rng.randrange(R), outputs)


def ptau_power(constraints: int, n_public: int) -> int:
    """snarkjs needs a domain holding the constraints and one row per public input (+1)."""
    return max(8, (constraints + n_public + 1 - 1).bit_length())


def snarkjs_prove(zkey: Path, wtns: Path, runs: int) -> tuple[float, dict[str, Any]]:
    done = subprocess.run(
        [
            "node",
            str(ROOT / "bench" / "peers" / "snarkjs_prove.cjs"),
            str(zkey),
            str(wtns),
            str(runs),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    result = json.loads(done.stdout)
    return statistics.median(result["times_s"]), result


def bench_shape(shape: CircuitShape, runs: int, work: Path) -> dict[str, Any]:
    rng = random.Random(shape.workers * 1000 + shape.canaries)
    inputs = round_inputs(shape, rng)
    builder = scoring_circuit(shape, inputs)
    system, witness = builder.system(), builder.witness()
    started = time.perf_counter()
    pk = groth16.insecure_dev_setup(scoring_circuit(shape).system())
    setup_s = time.perf_counter() - started
    ours = []
    for _ in range(runs):
        started = time.perf_counter()
        proof = groth16.prove(pk, system, witness)
        ours.append(time.perf_counter() - started)
    started = time.perf_counter()
    assert groth16.verify(pk.vk, builder.public_values(), proof)
    verify_s = time.perf_counter() - started

    folder = work / shape.name
    folder.mkdir()
    write_r1cs(system, folder / "circuit.r1cs")
    write_wtns(witness, folder / "witness.wtns")
    ptau = snarkjs_cli.powers_of_tau(ptau_power(len(system.constraints), system.n_public))
    zkey = snarkjs_cli.groth16_setup(folder / "circuit.r1cs", ptau, folder / "circuit.zkey")
    snarkjs_cli.export_verification_key(zkey, folder / "verification_key.json")
    theirs, peer = snarkjs_prove(zkey, folder / "witness.wtns", runs)
    write_json(peer["proof"], folder / "proof.json")
    write_json(peer["public"], folder / "public.json")
    vk, their_proof = read_proof(folder)
    if (
        not verify_scores(vk, their_proof)
        or list(their_proof.public_signals) != builder.public_values()
    ):
        raise SystemExit(f"{shape.name}: snarkjs's proof does not verify: the two sides disagree")
    ours_s = statistics.median(ours)
    return {
        "shape": shape.name,
        "workers": shape.workers,
        "canaries": shape.canaries,
        "constraints": len(system.constraints),
        "wires": system.n_wires,
        "setup_s": round(setup_s, 3),
        "memjit_prove_s": round(ours_s, 3),
        "snarkjs_prove_s": round(theirs, 3),
        "ratio": round(ours_s / theirs, 2),
        "verify_s": round(verify_s, 3),
    }


def round_gas() -> dict[str, int]:
    """verifyProof and a 5-worker closeRound on anvil, with a real proof."""
    anvil = start_anvil()
    try:
        chain = connect(anvil.url)
        admin = devnet_signer(chain, 0)
        mj = MemJitContracts(
            chain,
            deploy_memjit(chain, admin, DeployConfig(), verifier=verifier_artifact()).deployment,
        )
        ids = []
        for i in range(5):
            owner = devnet_signer(chain, 1 + i)
            mj.token.faucet(owner, 1_000 * 10**18)
            ids.append(
                mj.registry.register(owner, f"bafkrei-bench-{i}", 200 * 10**18, "digits-8x8")[0]
            )
        keys = load_dev_keys()
        rng = random.Random(5)
        inputs = round_inputs(keys.shape, rng)
        evaluation = inputs.public_signals(keys.shape)[2]
        round_id = mj.rounds.open(admin, ids, inputs.request_commitment, evaluation).round_id
        result = prove_scores(keys, replace(inputs, round_id=round_id))
        proof = proof_to_calldata(result.proof)
        verify_gas = Verifier(chain, mj.deployment.verifier or "").estimate_gas(
            proof, list(result.public_signals)
        )
        closed = mj.rounds.close(
            admin,
            round_id,
            ids,
            RoundCommitments(inputs.request_commitment, evaluation, result.outputs_commitment),
            result.duplicates,
            list(result.scores),
            proof,
            gas=None,
        )
        return {"verify_proof_gas": verify_gas, "close_round_gas_5_workers": closed.tx.gas_used}
    finally:
        anvil.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print figures as JSON")
    parser.add_argument("--quick", action="store_true", help="one small circuit, one run")
    parser.add_argument("--runs", type=int, default=3, help="timed proofs per side")
    parser.add_argument("--no-gas", action="store_true", help="skip the anvil gas measurement")
    args = parser.parse_args()
    shapes = QUICK_SHAPES if args.quick else SHAPES
    runs = 1 if args.quick else args.runs
    with tempfile.TemporaryDirectory(prefix="memjit-prover-bench-") as work:
        rows = [bench_shape(shape, runs, Path(work)) for shape in shapes]
    gas = {} if args.no_gas else round_gas()
    if args.json:
        json.dump({"runs": runs, "circuits": rows, "gas": gas}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    table = Table(title=f"Groth16 prove, median of {runs} (ratio = memjit / snarkjs)")
    for column in ("circuit", "constraints", "memjit", "snarkjs", "ratio", "setup", "verify"):
        table.add_column(column, justify="left" if column == "circuit" else "right")
    for row in rows:
        table.add_row(
            row["shape"],
            f"{row['constraints']:,}",
            f"{row['memjit_prove_s']:.2f} s",
            f"{row['snarkjs_prove_s']:.2f} s",
            f"{row['ratio']:.2f}×",
            f"{row['setup_s']:.1f} s",
            f"{row['verify_s']:.2f} s",
        )
    console = Console()
    console.print(table)
    if gas:
        console.print(
            f"anvil: verifyProof {gas['verify_proof_gas']:,} gas; "
            f"closeRound of 5 workers with a real proof {gas['close_round_gas_5_workers']:,} gas"
        )


if __name__ == "__main__":
    main()
