// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IGroth16Verifier
/// @notice Checks a Groth16 proof over BN254 against its public signals.
/// @dev The UtilityOracle talks to its verifier only through this interface. The production
/// implementation is generated from the scoring circuit's verification key by the `oracle`
/// package. Public signals are field elements of the BN254 scalar field, in the order the
/// circuit declares them, and there are exactly `publicInputCount()` of them.
interface IGroth16Verifier {
    /// @notice Returns true iff `(a, b, c)` is a valid proof for `publicSignals`.
    /// @dev Never reverts on malformed input: it returns false when `publicSignals` does not
    /// have exactly `publicInputCount()` entries, when a signal is not below the scalar field
    /// modulus r, when a proof coordinate is not below the base field modulus q, or when a
    /// point is not on the curve (or not in its subgroup). It reverts when the call has too
    /// little gas for the precompiles (an out-of-gas precompile fails just like one given a bad
    /// point), so `false` always means the proof is wrong.
    /// @param a The proof's G1 point A, as [x, y].
    /// @param b The proof's G2 point B, as [[x.c1, x.c0], [y.c1, y.c0]] (the pairing
    /// precompile's coordinate order).
    /// @param c The proof's G1 point C, as [x, y].
    /// @param publicSignals The public inputs of the statement.
    function verifyProof(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[] calldata publicSignals
    ) external view returns (bool);

    /// @notice The number of public signals `verifyProof` expects (the circuit's public inputs).
    function publicInputCount() external view returns (uint256);
}
