// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IGroth16Verifier} from "../../contracts/interfaces/IGroth16Verifier.sol";

/// @title HashCheckVerifier — TEST ONLY, NOT A ZERO-KNOWLEDGE VERIFIER
/// @notice Accepts a "proof" whose `a[0]` is keccak256 of the public signals reduced into the
/// BN254 scalar field, and whose other coordinates are zero, for exactly `publicInputCount()`
/// signals. It proves nothing about how the scores were obtained; it only lets the contract
/// tests exercise the UtilityOracle's binding of round id, commitments and scores (tamper with
/// any of them and the "proof" fails). It lives under tests/ and is not part of the
/// deployable artifacts.
contract HashCheckVerifier is IGroth16Verifier {
    uint256 private constant _R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

    uint256 private immutable _publicInputCount;

    /// @param publicInputCount_ The number of public signals to expect, as a circuit would fix it.
    constructor(uint256 publicInputCount_) {
        _publicInputCount = publicInputCount_;
    }

    /// @inheritdoc IGroth16Verifier
    function publicInputCount() external view returns (uint256) {
        return _publicInputCount;
    }

    /// @inheritdoc IGroth16Verifier
    function verifyProof(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[] calldata publicSignals
    ) external view returns (bool) {
        if (publicSignals.length != _publicInputCount) return false;
        uint256 expected = uint256(keccak256(abi.encodePacked(publicSignals))) % _R;
        return a[0] == expected && a[1] == 0 && b[0][0] == 0 && b[0][1] == 0 && b[1][0] == 0 && b[1][1] == 0
            && c[0] == 0 && c[1] == 0;
    }
}
