"""Proving a round's scores: the oracle operator's API over the circuit and Groth16.

A *key folder* holds one setup of the scoring circuit::

    proving_key.bin          the prover's key (binary, :mod:`oracle.keyfile`)
    verification_key.json    snarkjs's format
    circuit.r1cs             the circuit in iden3's binary format (for snarkjs and audits)
    Groth16Verifier.sol      the on-chain verifier generated from the verification key

A *proof folder* holds ``proof.json``, ``public.json`` and ``verification_key.json``, all
in snarkjs's formats, so ``snarkjs groth16 verify`` checks it as well as we do.

Every setup here is the INSECURE single-party development setup of :mod:`oracle.groth16`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from oracle import groth16, snarkjs, solidity
from oracle.circuit import SIGNALS_BEFORE_SCORES, CircuitShape, ScoringInputs, scoring_circuit
from oracle.errors import KeyMismatch, MalformedInput
from oracle.files import PUBLIC_MODE, write_atomic
from oracle.keyfile import load_proving_key, save_proving_key
from oracle.keys import Proof, ProvingKey, VerifyingKey
from oracle.r1cs import Builder

PROVING_KEY = "proving_key.bin"
VERIFICATION_KEY = "verification_key.json"
CIRCUIT = "circuit.r1cs"
VERIFIER_SOURCE = "Groth16Verifier.sol"
PROOF = "proof.json"
PUBLIC = "public.json"

#: Stamped into key files and the generated verifier.
INSECURE_SETUP_NOTE = (
    "INSECURE single-party development setup: whoever ran it could forge proofs. "
    "Use a multi-party ceremony for anything of value."
)


def dev_keys_folder() -> Path:
    """The development keys shipped with the package, for the default shape (k = 5, m = 16).

    INSECURE like every setup here, and public: they exist so that `memjit demo` and a fresh
    devnet work without a setup step. ``contracts/Groth16Verifier.sol`` is generated from
    them; ``tools/regen-devkeys.sh`` makes new ones.
    """
    return Path(str(resources.files("oracle").joinpath("devkeys", "k5-m16")))


@cache
def load_dev_keys() -> ScoringKeys:
    return load_keys(dev_keys_folder())


@dataclass(frozen=True)
class ScoringKeys:
    """One setup of the scoring circuit."""

    shape: CircuitShape
    pk: ProvingKey

    @property
    def vk(self) -> VerifyingKey:
        return self.pk.vk


@dataclass(frozen=True)
class ScoreProof:
    """A proof and the public signals it proves."""

    proof: Proof
    public_signals: tuple[int, ...]

    @property
    def round_id(self) -> int:
        return self.public_signals[0]

    @property
    def outputs_commitment(self) -> int:
        return self.public_signals[3]

    @property
    def duplicates(self) -> int:
        """Bit i set: worker i's canary outputs equal an earlier-listed worker's."""
        return self.public_signals[4]

    @property
    def scores(self) -> tuple[int, ...]:
        return self.public_signals[SIGNALS_BEFORE_SCORES:]


def setup_scoring(shape: CircuitShape, rng: random.Random | None = None) -> ScoringKeys:
    """INSECURE development setup of the scoring circuit of ``shape``."""
    return ScoringKeys(shape, groth16.insecure_dev_setup(scoring_circuit(shape).system(), rng))


def save_keys(keys: ScoringKeys, folder: Path) -> None:
    """Writes the four files of a key folder."""
    folder.mkdir(parents=True, exist_ok=True)
    meta = {
        "workers": keys.shape.workers,
        "canaries": keys.shape.canaries,
        "setup": INSECURE_SETUP_NOTE,
    }
    save_proving_key(folder / PROVING_KEY, keys.pk, meta)
    snarkjs.write_json(snarkjs.verifying_key_to_json(keys.vk), folder / VERIFICATION_KEY)
    snarkjs.write_r1cs(scoring_circuit(keys.shape).system(), folder / CIRCUIT)
    write_atomic(folder / VERIFIER_SOURCE, render_keys_verifier(keys).encode(), PUBLIC_MODE)


def render_keys_verifier(keys: ScoringKeys) -> str:
    """The Solidity verifier of ``keys``, its header naming the circuit and the setup."""
    shape = keys.shape
    note = (
        f"Scoring circuit {shape.name}: {shape.workers} score slots, {shape.canaries} canaries.\n"
        + INSECURE_SETUP_NOTE
    )
    return solidity.render_verifier(keys.vk, note=note)


def load_keys(folder: Path) -> ScoringKeys:
    """The key folder's keys, checked against the circuit they claim to be for."""
    if not (folder / PROVING_KEY).is_file():
        raise MalformedInput(f"no {PROVING_KEY} in {folder}: run `memjit oracle setup`")
    pk, meta = load_proving_key(folder / PROVING_KEY)
    try:
        shape = CircuitShape(int(meta["workers"]), int(meta["canaries"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedInput(f"{folder / PROVING_KEY} does not say its circuit shape") from exc
    if pk.circuit_digest != scoring_circuit(shape).system().digest():
        raise KeyMismatch(
            f"{folder / PROVING_KEY} was made for another version of the {shape.name} circuit: "
            "run `memjit oracle setup` again"
        )
    return ScoringKeys(shape, pk)


def prove_scores(
    keys: ScoringKeys, inputs: ScoringInputs, rng: random.Random | None = None
) -> ScoreProof:
    """Proves ``inputs``' scores; raises :class:`MalformedInput` for inputs that do not fit
    the keys' shape."""
    return prove_circuit(keys, scoring_circuit(keys.shape, inputs), rng)


def prove_circuit(
    keys: ScoringKeys, builder: Builder, rng: random.Random | None = None
) -> ScoreProof:
    """Proves a scoring circuit already built with its witness (for a caller that also
    exports the witness)."""
    proof = groth16.prove(keys.pk, builder.system(), builder.witness(), rng)
    return ScoreProof(proof, tuple(builder.public_values()))


def write_proof(result: ScoreProof, vk: VerifyingKey, folder: Path) -> None:
    """Writes a proof folder."""
    folder.mkdir(parents=True, exist_ok=True)
    snarkjs.write_json(snarkjs.proof_to_json(result.proof), folder / PROOF)
    snarkjs.write_json(snarkjs.public_to_json(result.public_signals), folder / PUBLIC)
    snarkjs.write_json(snarkjs.verifying_key_to_json(vk), folder / VERIFICATION_KEY)


def read_proof(folder: Path) -> tuple[VerifyingKey, ScoreProof]:
    """A proof folder's key and proof; :class:`MalformedInput` for a missing or bad file."""
    for name in (PROOF, PUBLIC, VERIFICATION_KEY):
        if not (folder / name).is_file():
            raise MalformedInput(f"{folder} has no {name}")
    vk = snarkjs.verifying_key_from_json(snarkjs.load_json(folder / VERIFICATION_KEY))
    proof = snarkjs.proof_from_json(snarkjs.load_json(folder / PROOF))
    public = snarkjs.public_from_json(snarkjs.load_json(folder / PUBLIC))
    return vk, ScoreProof(proof, tuple(public))


def verify_scores(vk: VerifyingKey, result: ScoreProof) -> bool:
    """True iff the proof is valid; raises :class:`MalformedInput` only for malformed input."""
    return groth16.verify(vk, result.public_signals, result.proof)
