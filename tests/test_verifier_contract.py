"""The generated Groth16 verifier, on the embedded chain and on anvil.

No prover is needed: the keys come from a *trapdoor* — random α, β, γ, δ and IC exponents that
the test knows — and with it a valid proof for any public signals is one line of algebra.
With vk_x = L·G1 (L = ic₀ + Σ sᵢ·icᵢ₊₁), A = x·G1, B = y·G2 and C = ((x·y − α·β − L·γ) / δ)·G1,

    e(A, B) = e(G1, G2)^(x·y) = e(α·G1, β·G2) · e(L·G1, γ·G2) · e(C, δ·G2).

py_ecc checks that equation as a reference once; the contract does the rest.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest
from py_ecc import optimized_bn128 as bn

from oracle.curve import from_py_ecc_g1, from_py_ecc_g2, pairing_product_is_one
from oracle.errors import MalformedInput
from oracle.field import Q, R, inverse
from oracle.keys import G1, G2, Proof, VerifyingKey
from oracle.solidity import ProofCalldata, proof_to_calldata, render_verifier
from protocol.artifacts import Artifact
from protocol.chain import MemJitContracts, RoundCommitments, RoundStatus, Verifier
from protocol.chain.connection import Chain
from protocol.chain.deployment import deploy_memjit
from protocol.chain.signers import devnet_signer
from protocol.chain.transactions import deploy
from protocol.compiler import compile_sources
from protocol.errors import ContractReverted
from tests.conftest import TEST_CONFIG, need
from tests.helpers import ROOT, SWT

pytestmark = pytest.mark.node

#: 5 signals before the scores + TEST_CONFIG's 5 score slots.
N_PUBLIC = 10
SIGNALS = [7, 111, 222, 333, 0, 90, 40, 75, 60, 95]
#: The verifier never needs more; on the embedded chain this skips gas estimation, which
#: would re-run the pure-Python pairing ~10 times.
GAS_LIMIT = 1_000_000
#: EIP-1108 prices: the pairing check with 4 pairs, and ecMul + ecAdd per public signal.
PAIRING_GAS = 45_000 + 4 * 34_000
PER_SIGNAL_GAS = 6_000 + 150


def g1(k: int) -> G1:
    return from_py_ecc_g1(bn.multiply(bn.G1, k % R))


def g2(k: int) -> G2:
    return from_py_ecc_g2(bn.multiply(bn.G2, k % R))


@dataclass(frozen=True)
class Trapdoor:
    """A verification key's secret exponents: lets the test forge valid proofs."""

    alpha: int
    beta: int
    gamma: int
    delta: int
    ic: tuple[int, ...]

    @classmethod
    def sample(cls, rng: random.Random, n_public: int) -> Trapdoor:
        def scalar() -> int:
            return rng.randrange(1, R)

        return cls(
            scalar(), scalar(), scalar(), scalar(), tuple(scalar() for _ in range(n_public + 1))
        )

    def verifying_key(self) -> VerifyingKey:
        return VerifyingKey(
            alpha=g1(self.alpha),
            beta=g2(self.beta),
            gamma=g2(self.gamma),
            delta=g2(self.delta),
            ic=tuple(g1(k) for k in self.ic),
        )

    def public_input_exponent(self, signals: list[int]) -> int:
        """L with vk_x = L·G1."""
        return self.ic[0] + sum(s * k for s, k in zip(signals, self.ic[1:], strict=True))

    def prove(self, signals: list[int], rng: random.Random) -> Proof:
        x, y = rng.randrange(1, R), rng.randrange(1, R)
        exponent = self.public_input_exponent(signals)
        c = (x * y - self.alpha * self.beta - exponent * self.gamma) * inverse(self.delta)
        return Proof(a=g1(x), b=g2(y), c=g1(c))


@dataclass(frozen=True)
class Setup:
    trapdoor: Trapdoor
    vk: VerifyingKey
    proof: Proof
    artifact: Artifact
    rng: random.Random


@pytest.fixture(scope="module")
def setup() -> Setup:
    rng = random.Random(20_240_601)
    trapdoor = Trapdoor.sample(rng, N_PUBLIC)
    vk = trapdoor.verifying_key()
    source = render_verifier(vk, note="TEST KEY from a known trapdoor: proves nothing.")
    if not (ROOT / "node_modules" / "solc").is_dir():
        need("Node and `npm install` are needed to compile")
    artifact = compile_sources({"contracts/Groth16Verifier.sol": source}, ROOT)["Groth16Verifier"]
    return Setup(trapdoor, vk, trapdoor.prove(SIGNALS, rng), artifact, rng)


@pytest.fixture(scope="module")
def verifier(setup: Setup, module_chain: Chain) -> Verifier:
    address, _ = deploy(module_chain, devnet_signer(module_chain, 0), setup.artifact)
    return Verifier(module_chain, address, setup.artifact.abi)


def verify(chain: Chain, verifier: Verifier, calldata: ProofCalldata, signals: list[int]) -> bool:
    assert verifier.chain is chain
    return verifier.verify(calldata, signals)


# -- the trapdoor and the generated source ----------------------------------------------------


def test_trapdoor_proofs_satisfy_the_groth16_equation(setup: Setup) -> None:
    """The reference check (py_ecc), so a contract that accepts them is right to."""
    vk, proof = setup.vk, setup.proof
    vk_x = g1(setup.trapdoor.public_input_exponent(SIGNALS))
    minus_a = (proof.a[0], (Q - proof.a[1]) % Q)
    assert pairing_product_is_one(
        [(minus_a, proof.b), (vk.alpha, vk.beta), (vk_x, vk.gamma), (proof.c, vk.delta)]
    )


def test_proof_calldata_swaps_b_into_the_precompile_order() -> None:
    proof = Proof(a=(1, 2), b=((3, 4), (5, 6)), c=(7, 8))
    assert proof_to_calldata(proof) == ([1, 2], [[4, 3], [6, 5]], [7, 8])


def test_the_source_says_it_is_generated_and_how_to_regenerate(setup: Setup) -> None:
    source = render_verifier(setup.vk, "MyVerifier", note="INSECURE development setup.\nline two")
    header = source.split("import")[0]
    assert "Generated by MemJit's oracle" in header
    assert "`memjit oracle setup`" in header
    assert "// INSECURE development setup.\n// line two\n" in header
    assert "contract MyVerifier is IGroth16Verifier {" in source
    assert f"_N_PUBLIC = {N_PUBLIC};" in source


def test_the_vks_g2_points_are_written_in_the_precompile_order(setup: Setup) -> None:
    (x0, x1), (y0, y1) = setup.vk.beta
    source = render_verifier(setup.vk)
    assert source.index(f"_BETA_X1 = {x1};") < source.index(f"_BETA_X0 = {x0};")
    assert source.index(f"_BETA_Y1 = {y1};") < source.index(f"_BETA_Y0 = {y0};")


@pytest.mark.parametrize(
    "change,message",
    [
        ({"alpha": (1, 3)}, "alpha"),
        ({"ic": ((1, 2), (5, 5))}, "ic[1]"),
        ({"delta": ((1, 2), (3, 4))}, "delta"),
        ({"gamma": ((Q, 0), (0, 0))}, "gamma"),
    ],
)
def test_keys_with_points_off_the_curve_are_refused(
    setup: Setup, change: dict[str, object], message: str
) -> None:
    with pytest.raises(MalformedInput, match=message.replace("[", r"\[")):
        render_verifier(replace(setup.vk, **change))  # type: ignore[arg-type]


def test_contract_names_must_be_identifiers(setup: Setup) -> None:
    with pytest.raises(MalformedInput, match="identifier"):
        render_verifier(setup.vk, "Groth16 Verifier")


# -- on chain ----------------------------------------------------------------------------------


def test_the_verifier_reports_its_input_count(module_chain: Chain, verifier: Verifier) -> None:
    assert verifier.public_input_count() == N_PUBLIC


def test_a_valid_proof_verifies(setup: Setup, module_chain: Chain, verifier: Verifier) -> None:
    assert verify(module_chain, verifier, proof_to_calldata(setup.proof), SIGNALS)


def test_padding_zeros_are_public_signals_too(
    setup: Setup, module_chain: Chain, verifier: Verifier
) -> None:
    padded = [*SIGNALS[:7], 0, 0, 0]  # a round of 2 workers in 5 score slots
    proof = setup.trapdoor.prove(padded, setup.rng)
    assert verify(module_chain, verifier, proof_to_calldata(proof), padded)
    assert not verify(module_chain, verifier, proof_to_calldata(proof), [*padded[:8], 1])


Tamper = Callable[[ProofCalldata, list[int]], tuple[ProofCalldata, list[int]]]


def _signal(index: int, value: Callable[[int], int]) -> Tamper:
    def tamper(calldata: ProofCalldata, signals: list[int]) -> tuple[ProofCalldata, list[int]]:
        changed = list(signals)
        changed[index] = value(changed[index])
        return calldata, changed

    return tamper


def _coordinate(*path: int, value: Callable[[int], int]) -> Tamper:
    """Changes the coordinate of ``(a, b, c)`` at ``path``: ``(1, 0, 1)`` is ``b[0][1]``."""

    def tamper(calldata: ProofCalldata, signals: list[int]) -> tuple[ProofCalldata, list[int]]:
        changed: list[Any] = copy.deepcopy(list(calldata))
        holder = changed
        for step in path[:-1]:
            holder = holder[step]
        holder[path[-1]] = value(holder[path[-1]])
        return (changed[0], changed[1], changed[2]), signals

    return tamper


def _point(index: int, replacement: Callable[[ProofCalldata], Any]) -> Tamper:
    """Replaces ``a``, ``b`` or ``c`` (``index`` 0, 1, 2) by ``replacement(calldata)``."""

    def tamper(calldata: ProofCalldata, signals: list[int]) -> tuple[ProofCalldata, list[int]]:
        changed: list[Any] = list(calldata)
        changed[index] = replacement(calldata)
        return (changed[0], changed[1], changed[2]), signals

    return tamper


def _double_a(calldata: ProofCalldata) -> list[int]:
    a = calldata[0]
    return list(from_py_ecc_g1(bn.double((bn.FQ(a[0]), bn.FQ(a[1]), bn.FQ.one()))))


def _other_b(calldata: ProofCalldata) -> list[list[int]]:
    (x0, x1), (y0, y1) = g2(12_345)
    return [[x1, x0], [y1, y0]]


def _unswapped_b(calldata: ProofCalldata) -> list[list[int]]:
    return [[x[1], x[0]] for x in calldata[1]]


def _shifted_c(calldata: ProofCalldata) -> list[int]:
    c = calldata[2]
    return list(from_py_ecc_g1(bn.add((bn.FQ(c[0]), bn.FQ(c[1]), bn.FQ.one()), bn.G1)))


TAMPERS: dict[str, Tamper] = {
    "round id changed": _signal(0, lambda s: s + 1),
    "a score changed": _signal(6, lambda s: s - 1),
    "the last signal changed": _signal(8, lambda s: s + 1),
    "a signal plus r (same residue)": _signal(4, lambda s: s + R),
    "a signal equal to r": _signal(2, lambda s: R),
    "one signal short": lambda calldata, signals: (calldata, signals[:-1]),
    "one signal too many": lambda calldata, signals: (calldata, [*signals, 0]),
    "no signals": lambda calldata, signals: (calldata, []),
    "A replaced by 2A": _point(0, _double_a),
    "A off the curve": _coordinate(0, 1, value=lambda v: v + 1),
    "B replaced": _point(1, _other_b),
    "B not swapped to the precompile order": _point(1, _unswapped_b),
    "C replaced by C + G1": _point(2, _shifted_c),
    "A.y plus q": _coordinate(0, 1, value=lambda v: v + Q),
    "B coordinate plus q": _coordinate(1, 0, 1, value=lambda v: v + Q),
    "C.x plus q": _coordinate(2, 0, value=lambda v: v + Q),
}


@pytest.mark.parametrize("name", list(TAMPERS))
def test_a_tampered_proof_or_signal_is_rejected_without_reverting(
    setup: Setup, module_chain: Chain, verifier: Verifier, name: str
) -> None:
    calldata, signals = TAMPERS[name](proof_to_calldata(setup.proof), list(SIGNALS))
    assert verify(module_chain, verifier, calldata, signals) is False


# -- gas and the UtilityOracle -----------------------------------------------------------------


def _intrinsic_gas(data: bytes) -> int:
    return 21_000 + sum(16 if byte else 4 for byte in data)


def test_verification_gas_is_the_precompiles_plus_a_little(
    setup: Setup, module_chain: Chain, verifier: Verifier, record_property: Callable[..., None]
) -> None:
    proof = proof_to_calldata(setup.proof)
    sender = devnet_signer(module_chain, 0)
    used = verifier.send_verify(sender, proof, SIGNALS, gas=GAS_LIMIT).gas_used
    data = verifier.calldata(proof, SIGNALS)
    execution = used - _intrinsic_gas(data)
    overhead = execution - PAIRING_GAS - N_PUBLIC * PER_SIGNAL_GAS
    record_property("verify_gas", used)
    print(
        f"verifyProof, {N_PUBLIC} inputs: {used} gas ({execution} execution, overhead {overhead})"
    )
    assert 0 < overhead < 8_000  # warm precompile calls (100 each), checks, ABI decoding


def test_too_little_gas_reverts_instead_of_reading_as_an_invalid_proof(
    setup: Setup, module_chain: Chain, verifier: Verifier
) -> None:
    """An out-of-gas precompile fails like a rejected point; the verifier reverts instead of
    answering false, so false always means a bad proof (and gas estimation is right)."""
    proof = proof_to_calldata(setup.proof)
    with pytest.raises(ContractReverted, match="Groth16VerifierOutOfGas"):
        verifier.verify(proof, SIGNALS, gas=150_000)
    assert verifier.verify(proof, SIGNALS, gas=GAS_LIMIT) is True
    if module_chain.kind == "rpc":  # anvil
        # the real cost, not a cheap failing run
        assert verifier.estimate_gas(proof, SIGNALS) >= 240_000


def test_the_oracle_closes_a_round_with_the_generated_verifier(
    setup: Setup, module_chain: Chain, verifier: Verifier
) -> None:
    chain = module_chain
    admin = devnet_signer(chain, 0)
    mj = MemJitContracts(
        chain, deploy_memjit(chain, admin, TEST_CONFIG, verifier=verifier.address).deployment
    )
    owners = [devnet_signer(chain, i) for i in (1, 2)]
    ids = []
    for i, owner in enumerate(owners):
        mj.token.faucet(owner, 1_000 * SWT)
        ids.append(mj.registry.register(owner, f"bafkrei-groth16-{i}", 200 * SWT, "digits-8x8")[0])
    rounds = mj.rounds
    round_id = rounds.open(admin, ids, 111, 222).round_id
    scores = [80, 55]
    commitments = RoundCommitments(111, 222, 333)
    signals = rounds.public_signals(round_id, commitments, 0, scores)
    assert len(signals) == N_PUBLIC
    proof = proof_to_calldata(setup.trapdoor.prove(signals, setup.rng))
    forged = proof_to_calldata(setup.trapdoor.prove([*signals[:5], 100, 55, 0, 0, 0], setup.rng))
    # Estimated: estimation stops at the first reverting run, and decodes the error.
    with pytest.raises(ContractReverted) as err:
        rounds.close(admin, round_id, ids, commitments, 0, scores, forged, gas=None)
    assert (err.value.name, err.value.error_args) == (
        "UtilityOracleInvalidProof",
        {"roundId": round_id},
    )
    closed = rounds.close(admin, round_id, ids, commitments, 0, scores, proof, gas=GAS_LIMIT)
    print(f"closeRound, 2 workers, generated verifier: {closed.tx.gas_used} gas")
    assert rounds.get(round_id).status == RoundStatus.CLOSED
    assert [mj.registry.worker(w).last_score for w in ids] == scores
