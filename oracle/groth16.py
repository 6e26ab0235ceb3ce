"""Groth16 over BN254: setup, prove, verify.

The construction is Groth's (EUROCRYPT 2016) with snarkjs's conventions, so its proofs and
verification keys mean the same thing to snarkjs and to the generated Solidity verifier:

* the QAP has one extra row per public input (and the constant wire), ``A = wireᵢ``, which
  makes the public inputs' polynomials linearly independent, so a proof cannot be replayed
  for other public inputs even if a public input appears in no constraint (the request
  commitment, for instance);
* ``H`` is computed on a coset of the evaluation domain, where the vanishing polynomial is a
  constant: three inverse NTTs, three coset NTTs, one coset inverse NTT.

**The setup is a single-party development setup and is INSECURE**: whoever runs it draws the
toxic waste (τ, α, β, γ, δ) and could keep it and forge proofs. It is forgotten here as soon
as the keys are made, but nobody else can check that. A production deployment needs a
multi-party ceremony (e.g. snarkjs's powers of tau + phase 2), whose verification key
:mod:`oracle.snarkjs` can read.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
from collections.abc import Sequence

from oracle import curve
from oracle.errors import KeyMismatch, MalformedInput
from oracle.field import R, batch_inverse
from oracle.keys import G1, G2, Proof, ProvingKey, VerifyingKey
from oracle.ntt import COSET_SHIFT, coset_intt, coset_ntt, domain_size, ntt, root_of_unity
from oracle.r1cs import ConstraintSystem, evaluate

log = logging.getLogger(__name__)


def _random_scalar(rng: random.Random | None) -> int:
    return (rng.randrange(R - 1) if rng else secrets.randbelow(R - 1)) + 1


def _domain(system: ConstraintSystem) -> int:
    return domain_size(len(system.constraints) + system.n_public + 1)


def insecure_dev_setup(system: ConstraintSystem, rng: random.Random | None = None) -> ProvingKey:
    """Makes the proving key (which holds the verification key) for ``system``.

    INSECURE: a single-party setup (see the module docstring). ``rng`` makes the keys
    reproducible and exists for tests only: keys from a known seed let anyone forge proofs.
    """
    started = time.perf_counter()
    n = _domain(system)
    omega = root_of_unity(n)
    while True:
        tau = _random_scalar(rng)
        if pow(tau, n, R) != 1:  # τ must lie outside the domain
            break
    alpha, beta, gamma, delta = (_random_scalar(rng) for _ in range(4))

    # Lagrange basis at τ: L_j(τ) = (τⁿ - 1) · ωʲ / (n · (τ - ωʲ)).
    z_tau = (pow(tau, n, R) - 1) % R
    points = [1] * n
    for j in range(1, n):
        points[j] = points[j - 1] * omega % R
    inv = batch_inverse([(tau - w) % R * n % R for w in points])
    lagrange = [z_tau * w % R * i % R for w, i in zip(points, inv, strict=True)]

    u = [0] * system.n_wires
    v = [0] * system.n_wires
    w = [0] * system.n_wires
    for row, constraint in enumerate(system.constraints):
        basis = lagrange[row]
        for target, terms in ((u, constraint.a), (v, constraint.b), (w, constraint.c)):
            for wire, coeff in terms.items():
                target[wire] = (target[wire] + coeff * basis) % R
    first_binding_row = len(system.constraints)
    for wire in range(system.n_public + 1):
        u[wire] = (u[wire] + lagrange[first_binding_row + wire]) % R

    gamma_inv = pow(gamma, -1, R)
    delta_inv = pow(delta, -1, R)
    mixed = [(beta * u[i] + alpha * v[i] + w[i]) % R for i in range(system.n_wires)]
    public_wires = system.n_public + 1
    ic_scalars = [m * gamma_inv % R for m in mixed[:public_wires]]
    l_scalars = [m * delta_inv % R for m in mixed[public_wires:]]
    h_scalars = []
    power = z_tau * delta_inv % R
    for _ in range(n - 1):
        h_scalars.append(power)
        power = power * tau % R

    g1 = curve.fixed_base_g1([alpha, beta, delta, *ic_scalars, *u, *v, *l_scalars, *h_scalars])
    g2 = curve.fixed_base_g2([beta, gamma, delta, *v])
    cut = 3
    alpha_g1, beta_g1, delta_g1 = g1[:cut]
    ic = g1[cut : cut + public_wires]
    cut += public_wires
    a_query = g1[cut : cut + system.n_wires]
    cut += system.n_wires
    b_g1_query = g1[cut : cut + system.n_wires]
    cut += system.n_wires
    l_query = g1[cut : cut + len(l_scalars)]
    h_query = g1[cut + len(l_scalars) :]
    beta_g2, gamma_g2, delta_g2 = g2[:3]
    vk = VerifyingKey(alpha=alpha_g1, beta=beta_g2, gamma=gamma_g2, delta=delta_g2, ic=tuple(ic))
    log.info(
        "INSECURE development setup: %d constraints, domain %d, %.1f s",
        len(system.constraints),
        n,
        time.perf_counter() - started,
    )
    return ProvingKey(
        vk=vk,
        circuit_digest=system.digest(),
        domain_size=n,
        n_wires=system.n_wires,
        beta_g1=beta_g1,
        delta_g1=delta_g1,
        a_query=tuple(a_query),
        b_g1_query=tuple(b_g1_query),
        b_g2_query=tuple(g2[3:]),
        l_query=tuple(l_query),
        h_query=tuple(h_query),
    )


def quotient_coefficients(system: ConstraintSystem, witness: Sequence[int], n: int) -> list[int]:
    """Coefficients of ``H = (A·B - C) / Z`` for the witness (degree ≤ n - 2)."""
    rows = [(c.a, c.b, c.c) for c in system.constraints]
    a_ev = [evaluate(a, witness) for a, _, _ in rows]
    b_ev = [evaluate(b, witness) for _, b, _ in rows]
    c_ev = [evaluate(c, witness) for _, _, c in rows]
    a_ev.extend(witness[: system.n_public + 1])  # the public binding rows (B = C = 0)
    pad = n - len(a_ev)
    a_ev.extend([0] * pad)
    b_ev.extend([0] * (n - len(b_ev)))
    c_ev.extend([0] * (n - len(c_ev)))
    a_co = coset_ntt(ntt(a_ev, inverse=True))
    b_co = coset_ntt(ntt(b_ev, inverse=True))
    c_co = coset_ntt(ntt(c_ev, inverse=True))
    z_inv = pow(pow(COSET_SHIFT, n, R) - 1, -1, R)
    h = coset_intt([(a * b - c) * z_inv % R for a, b, c in zip(a_co, b_co, c_co, strict=True)])
    if h[-1]:
        raise AssertionError("quotient has degree n - 1: the witness does not satisfy the QAP")
    return h[:-1]


def prove(
    pk: ProvingKey,
    system: ConstraintSystem,
    witness: Sequence[int],
    rng: random.Random | None = None,
) -> Proof:
    """A zero-knowledge proof that ``witness`` satisfies ``system``.

    Raises :class:`KeyMismatch` if ``pk`` was made for another circuit and
    :class:`oracle.errors.UnsatisfiedCircuit` if the witness breaks a constraint.
    """
    if system.digest() != pk.circuit_digest:
        raise KeyMismatch("the proving key was made for a different circuit: run the setup again")
    system.check(witness)
    started = time.perf_counter()
    h = quotient_coefficients(system, witness, pk.domain_size)
    r = _random_scalar(rng)
    s = _random_scalar(rng)
    w = list(witness)
    private = w[pk.n_public + 1 :]
    a = curve.msm_g1([*pk.a_query, pk.vk.alpha, pk.delta_g1], [*w, 1, r])
    b2 = curve.msm_g2([*pk.b_g2_query, pk.vk.beta, pk.vk.delta], [*w, 1, s])
    b1 = curve.msm_g1([*pk.b_g1_query, pk.beta_g1, pk.delta_g1], [*w, 1, s])
    c = curve.msm_g1(
        [*pk.l_query, *pk.h_query, a, b1, pk.delta_g1],
        [*private, *h, s, r, -r * s % R],
    )
    log.debug(
        "proved %d constraints in %.2f s", len(system.constraints), time.perf_counter() - started
    )
    return Proof(a=a, b=b2, c=c)


def check_public_signals(vk: VerifyingKey, public: Sequence[int]) -> None:
    """Raises :class:`MalformedInput` unless ``public`` has the key's length, all in the field."""
    if len(public) != vk.n_public:
        raise MalformedInput(f"expected {vk.n_public} public signals, got {len(public)}")
    for index, value in enumerate(public):
        if not 0 <= value < R:
            raise MalformedInput(f"public signal {index} is not in the scalar field")


def check_proof_points(proof: Proof) -> None:
    """Raises :class:`MalformedInput` unless every point is on its curve (and in G2's group)."""
    for name, point in (("A", proof.a), ("C", proof.c)):
        if not curve.on_curve_g1(point):
            raise MalformedInput(f"proof point {name} is not on the curve")
    if not curve.on_curve_g2(proof.b):
        raise MalformedInput("proof point B is not on the twist or not in G2")


def verify(vk: VerifyingKey, public: Sequence[int], proof: Proof) -> bool:
    """True iff ``proof`` is valid for ``public``. Returns False for a wrong proof and raises
    :class:`MalformedInput` only when the input is malformed (see the two checks above)."""
    check_public_signals(vk, public)
    check_proof_points(proof)
    vk_x: G1 = curve.msm_g1(vk.ic, [1, *public])
    pairs: list[tuple[G1, G2]] = [
        (curve.neg_g1(proof.a), proof.b),
        (vk.alpha, vk.beta),
        (vk_x, vk.gamma),
        (proof.c, vk.delta),
    ]
    return curve.pairing_product_is_one(pairs)
