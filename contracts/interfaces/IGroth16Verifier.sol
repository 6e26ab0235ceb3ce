// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IGroth16Verifier
/// @notice Checks a Groth16 proof over BN254 against its public signals.
/// @dev The UtilityOracle talks to its verifier only through this interface. The production
/// implementation is generated from the scoring circuit's verification key by the `oracle`
/// package. Public signals are field elements of the BN254 scalar field, in the order the
/// circuit declares them; the verifier must reject any signal >= the field modulus.
interface IGroth16Verifier {
    /// @notice Returns true iff `(a, b, c)` is a valid proof for `publicSignals`.
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
}
