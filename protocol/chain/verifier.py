"""A Groth16 verifier contract (``IGroth16Verifier``): the generated one, or any other with
the same interface."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract.contract import ContractFunction

from protocol.artifacts import load_artifact
from protocol.chain.connection import Chain
from protocol.chain.signers import Signer
from protocol.chain.transactions import TxResult, bind, call, transact, translate_errors

if TYPE_CHECKING:  # the chain layer runs without oracle's curve libraries (brownie's env)
    from oracle.solidity import ProofCalldata


class Verifier:
    """The verifier at ``address``; ``abi`` defaults to the generated verifier's, whose
    errors (``Groth16VerifierOutOfGas``) are then decoded by name."""

    def __init__(self, chain: Chain, address: str, abi: list[dict[str, Any]] | None = None) -> None:
        self.chain = chain
        self.address: ChecksumAddress = Web3.to_checksum_address(address)
        self.abi = abi or load_artifact("Groth16Verifier").abi
        self._verifier = bind(chain, self.address, self.abi)

    def public_input_count(self) -> int:
        return int(call(self.chain, self._verifier.functions.publicInputCount(), [self.abi]))

    def verify(self, proof: ProofCalldata, signals: Sequence[int], gas: int | None = None) -> bool:
        """Whether the proof verifies for ``signals`` (a call, limited to ``gas`` if given)."""
        fn = self._verify(proof, signals)
        with translate_errors(self.chain, [self.abi]):
            return bool(fn.call({} if gas is None else {"gas": gas}))

    def estimate_gas(self, proof: ProofCalldata, signals: Sequence[int]) -> int:
        """The node's gas estimate for a verification sent as a transaction."""
        with translate_errors(self.chain, [self.abi]):
            return int(self._verify(proof, signals).estimate_gas())

    def send_verify(
        self, signer: Signer, proof: ProofCalldata, signals: Sequence[int], gas: int
    ) -> TxResult:
        """A verification sent as a transaction (to measure what it costs)."""
        return transact(
            self.chain, signer, self._verify(proof, signals), gas=gas, extra_abis=[self.abi]
        )

    def calldata(self, proof: ProofCalldata, signals: Sequence[int]) -> bytes:
        """The transaction data of a verification."""
        a, b, c = proof
        return bytes.fromhex(self._verifier.encode_abi("verifyProof", [a, b, c, list(signals)])[2:])

    def _verify(self, proof: ProofCalldata, signals: Sequence[int]) -> ContractFunction:
        a, b, c = proof
        return self._verifier.functions.verifyProof(a, b, c, list(signals))
