"""oracle.poseidon against the published vectors, circomlibjs (its constants and its hashes),
and its own circuit."""

from __future__ import annotations

import json
import random
import shutil
import subprocess

import pytest

from oracle.errors import MalformedInput, UnsatisfiedCircuit
from oracle.field import R
from oracle.poseidon import (
    FULL_ROUNDS,
    MAX_INPUTS,
    PARTIAL_ROUNDS,
    poseidon,
    poseidon_gadget,
    poseidon_params,
    poseidon_permutation,
)
from oracle.r1cs import Builder
from tests.conftest import need
from tests.helpers import ROOT

CIRCOMLIBJS = ROOT / "node_modules" / "circomlibjs"
VECTORS_SCRIPT = ROOT / "tests" / "js" / "poseidon_vectors.cjs"

# -- published vectors ----------------------------------------------------------------------

# The Poseidon authors' permutation vectors, hadeshash code/test_vectors.txt
# (https://extgit.iaik.tugraz.at/krypto/hadeshash/-/blob/master/code/test_vectors.txt):
# poseidonperm_x5_254_3 (R_F 8, R_P 57) and poseidonperm_x5_254_5 (R_F 8, R_P 60).
REFERENCE_PERMUTATIONS = [
    (
        [0, 1, 2],
        [
            0x115CC0F5E7D690413DF64C6B9662E9CF2A3617F2743245519E19607A4417189A,
            0x0FCA49B798923AB0239DE1C9E7A4A9A2210312B6A2F616D18B5A87F9B628AE29,
            0x0E7AE82E40091E63CBD4F16A6D16310B3729D4B6E138FCF54110E2867045A30C,
        ],
    ),
    (
        [0, 1, 2, 3, 4],
        [
            18821383157269793795438455681495246036402687001665670618754263018637548127333,
            7817711165059374331357136443537800893307845083525445872661165200086166013245,
            16733335996448830230979566039396561240864200624113062088822991822580465420551,
            6644334865470350789317807668685953492649391266180911382577082600917830417726,
            3372108894677221197912083238087960099443657816445944159266857514496320565191,
        ],
    ),
]

# circomlibjs test/poseidon.js ("Should check constrain reference implementation
# poseidonperm_x5_254_3/_5") and circomlib test/poseidoncircuit.js (the last three).
PUBLISHED_HASHES = [
    ([1, 2], 0x115CC0F5E7D690413DF64C6B9662E9CF2A3617F2743245519E19607A4417189A),
    ([1, 2, 3, 4], 0x299C867DB6C1FDD79DCEFA40E4510B9837E60EBB1CE0663DBAA525DF65250465),
    ([3, 4], 14763215145315200506921711489642608356394854266165572616578112107564877678998),
    ([1, 2, 0, 0, 0], 1018317224307729531995786483840663576608797660851238720571059489595066344487),
    (
        [3, 4, 5, 10, 23],
        13034429309846638789535561449942021891039729847501137143363028890275222221409,
    ),
]


@pytest.mark.parametrize(("state", "expected"), REFERENCE_PERMUTATIONS)
def test_permutation_matches_the_reference_implementation_vectors(state, expected):
    assert poseidon_permutation(state) == expected


@pytest.mark.parametrize(("inputs", "expected"), PUBLISHED_HASHES)
def test_hash_matches_circomlib_published_values(inputs, expected):
    assert poseidon(inputs) == expected


# -- circomlibjs ----------------------------------------------------------------------------


def test_generated_parameters_equal_circomlibjs_constants_for_every_width():
    """The Grain LFSR's first MDS draw is circomlib's matrix for every t = 2..17: the reason
    oracle.poseidon may skip the reference script's MDS security re-draws."""
    constants_file = CIRCOMLIBJS / "src" / "poseidon_constants.json"
    if not constants_file.is_file():
        need("circomlibjs: run npm install")
    published = json.loads(constants_file.read_text(encoding="utf-8"))
    assert len(published["C"]) == len(published["M"]) == MAX_INPUTS
    for t in range(2, MAX_INPUTS + 2):
        params = poseidon_params(t)
        assert params.round_constants == tuple(int(c, 16) for c in published["C"][t - 2]), t
        assert params.mds == tuple(
            tuple(int(m, 16) for m in row) for row in published["M"][t - 2]
        ), t


def _cross_check_vectors() -> list[list[int]]:
    rng = random.Random(20240517)
    vectors = []
    for n in range(1, MAX_INPUTS + 1):
        vectors.append([0] * n)
        vectors.append(list(range(1, n + 1)))
        vectors.append([R - 1] * n)
        vectors.append([R - 1 - i if i % 2 else 2**253 + i for i in range(n)])
        vectors.append([rng.randrange(R) for _ in range(n)])
    return vectors


@pytest.mark.node
def test_hashes_equal_circomlibjs_for_every_arity():
    if shutil.which("node") is None or not CIRCOMLIBJS.is_dir():
        need("circomlibjs: run npm install")
    vectors = _cross_check_vectors()
    run = subprocess.run(
        ["node", str(VECTORS_SCRIPT)],
        input=json.dumps([[str(x) for x in inputs] for inputs in vectors]),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    theirs = json.loads(run.stdout)
    ours = [poseidon(inputs) for inputs in vectors]
    assert [int(h) for h in theirs["reference"]] == ours
    assert [int(h) for h in theirs["wasm"]] == ours


# -- the circuit ----------------------------------------------------------------------------

GADGET_ARITIES = [1, 2, 4, 5, 16]


def _values(n: int) -> list[int]:
    return [(7**i + R // 3 * i) % R for i in range(1, n + 1)]


def _hash_circuit(values: list[int], claimed: int | None = None) -> Builder:
    """A circuit with public ``hash`` = poseidon(private inputs)."""
    builder = Builder()
    public_hash = builder.public("hash", poseidon(values) if claimed is None else claimed)
    inputs = [builder.private(f"in{i}", v) for i, v in enumerate(values)]
    builder.assert_equal(poseidon_gadget(builder, inputs), public_hash)
    return builder


@pytest.mark.parametrize("n", GADGET_ARITIES)
def test_gadget_output_value_equals_the_hash(n):
    builder = Builder()
    inputs = [builder.private(f"in{i}", v) for i, v in enumerate(_values(n))]
    out = poseidon_gadget(builder, inputs)
    assert out.value == poseidon(_values(n))
    builder.system().check(builder.witness())


@pytest.mark.parametrize("n", GADGET_ARITIES)
def test_gadget_costs_three_constraints_per_sbox(n):
    builder = Builder()
    poseidon_gadget(builder, [builder.private(f"in{i}", 1) for i in range(n)])
    t = n + 1
    assert len(builder.system().constraints) == 3 * (FULL_ROUNDS * t + PARTIAL_ROUNDS[t - 2])


@pytest.mark.parametrize("n", GADGET_ARITIES)
def test_gadget_circuit_accepts_the_true_hash(n):
    builder = _hash_circuit(_values(n))
    builder.system().check(builder.witness())


@pytest.mark.parametrize("n", [1, 4])
def test_gadget_circuit_rejects_a_wrong_hash(n):
    builder = _hash_circuit(_values(n), claimed=(poseidon(_values(n)) + 1) % R)
    with pytest.raises(UnsatisfiedCircuit):
        builder.system().check(builder.witness())


@pytest.mark.parametrize("n", [2, 16])
def test_gadget_circuit_rejects_a_tampered_sbox_wire(n):
    builder = _hash_circuit(_values(n))
    system, witness = builder.system(), builder.witness()
    wire = system.labels.index("poseidon.r5.s0.x4")
    witness[wire] = (witness[wire] + 1) % R
    with pytest.raises(UnsatisfiedCircuit):
        system.check(witness)


def test_gadget_without_witness_builds_the_same_system():
    with_witness = _hash_circuit(_values(3))
    setup = Builder(witness=False)
    public_hash = setup.public("hash")
    inputs = [setup.private(f"in{i}") for i in range(3)]
    out = poseidon_gadget(setup, inputs)
    setup.assert_equal(out, public_hash)
    assert out.value is None
    assert setup.system().digest() == with_witness.system().digest()


# -- malformed input ------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [R, R + 5, -1])
def test_hash_rejects_an_input_outside_the_field(bad):
    with pytest.raises(MalformedInput, match="input 1"):
        poseidon([0, bad])


@pytest.mark.parametrize("n", [0, MAX_INPUTS + 1])
def test_hash_rejects_an_unsupported_number_of_inputs(n):
    with pytest.raises(MalformedInput, match=f"got {n}"):
        poseidon([1] * n)


@pytest.mark.parametrize("n", [0, MAX_INPUTS + 1])
def test_gadget_rejects_an_unsupported_number_of_inputs(n):
    builder = Builder()
    with pytest.raises(MalformedInput):
        poseidon_gadget(builder, [builder.private(f"in{i}", 1) for i in range(n)])


@pytest.mark.parametrize("t", [1, MAX_INPUTS + 2])
def test_params_refuse_widths_circomlib_does_not_define(t):
    with pytest.raises(MalformedInput, match=f"got {t}"):
        poseidon_params(t)
