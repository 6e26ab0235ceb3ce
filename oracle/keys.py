"""Groth16 keys and proofs as plain, immutable data.

Points are affine integer coordinates, the point at infinity written as zeros (the EVM
precompiles' convention):

* ``G1 = (x, y)``
* ``G2 = ((x.c0, x.c1), (y.c0, y.c1))`` where an F_Q² element is ``c0 + c1·i`` (py_ecc's
  ``FQ2.coeffs`` order, and snarkjs's JSON order; the EVM pairing precompile wants
  ``(c1, c0)``, which :mod:`oracle.solidity` handles).
"""

from __future__ import annotations

from dataclasses import dataclass

G1 = tuple[int, int]
Fq2 = tuple[int, int]
G2 = tuple[Fq2, Fq2]

G1_ZERO: G1 = (0, 0)
G2_ZERO: G2 = ((0, 0), (0, 0))


@dataclass(frozen=True)
class Proof:
    a: G1
    b: G2
    c: G1


@dataclass(frozen=True)
class VerifyingKey:
    alpha: G1
    beta: G2
    gamma: G2
    delta: G2
    #: ``ic[0]`` for the constant wire, then one point per public input.
    ic: tuple[G1, ...]

    @property
    def n_public(self) -> int:
        return len(self.ic) - 1


@dataclass(frozen=True)
class ProvingKey:
    """Everything the prover needs, for one circuit (identified by its digest)."""

    vk: VerifyingKey
    #: :meth:`oracle.r1cs.ConstraintSystem.digest` of the circuit the key was made for.
    circuit_digest: bytes
    #: Size of the evaluation domain (a power of two ≥ constraints + public inputs + 1).
    domain_size: int
    n_wires: int
    beta_g1: G1
    delta_g1: G1
    #: ``[u_i(τ)]₁`` for every wire.
    a_query: tuple[G1, ...]
    #: ``[v_i(τ)]₁`` and ``[v_i(τ)]₂`` for every wire.
    b_g1_query: tuple[G1, ...]
    b_g2_query: tuple[G2, ...]
    #: ``[(β·u_i(τ) + α·v_i(τ) + w_i(τ)) / δ]₁`` for every private wire.
    l_query: tuple[G1, ...]
    #: ``[τ^i · Z(τ) / δ]₁`` for ``i < domain_size - 1``.
    h_query: tuple[G1, ...]

    @property
    def n_public(self) -> int:
        return self.vk.n_public
