"""SWT, the worker token: balances, the devnet faucet, approvals and EIP-2612 permits."""

from __future__ import annotations

import time

from eth_account.messages import encode_typed_data
from eth_typing import ChecksumAddress
from web3 import Web3

from protocol.artifacts import load_artifact
from protocol.chain.connection import Chain
from protocol.chain.signers import Signer
from protocol.chain.transactions import TxResult, bind, call, latest_block, transact
from protocol.chain.types import Permit, TokenMetadata

#: How long a permit the node signs stays valid.
PERMIT_TTL_S = 3_600
#: The token's EIP-712 domain name and version (SWT.sol's constructor).
PERMIT_DOMAIN_NAME = "MemJit Worker Token"
PERMIT_DOMAIN_VERSION = "1"


class Token:
    """The SWT contract of a deployment."""

    def __init__(self, chain: Chain, address: ChecksumAddress) -> None:
        self.chain = chain
        self.address = address
        self._swt = bind(chain, address, load_artifact("SWT").abi)

    # -- reads ---------------------------------------------------------------------------

    def balance_of(self, account: str) -> int:
        return int(call(self.chain, self._swt.functions.balanceOf(_address(account))))

    def allowance(self, owner: str, spender: str) -> int:
        fn = self._swt.functions.allowance(_address(owner), _address(spender))
        return int(call(self.chain, fn))

    def total_supply(self) -> int:
        return int(call(self.chain, self._swt.functions.totalSupply()))

    def metadata(self) -> TokenMetadata:
        fns = self._swt.functions
        return TokenMetadata(
            name=str(call(self.chain, fns.name())),
            symbol=str(call(self.chain, fns.symbol())),
            decimals=int(call(self.chain, fns.decimals())),
        )

    def minter(self) -> ChecksumAddress:
        return Web3.to_checksum_address(call(self.chain, self._swt.functions.minter()))

    def is_devnet(self, chain_id: int) -> bool:
        """Whether the token's faucet works on chain ``chain_id`` (its own rule)."""
        return bool(call(self.chain, self._swt.functions.isDevnet(chain_id)))

    def nonce(self, owner: str) -> int:
        """The owner's next EIP-2612 permit nonce."""
        return int(call(self.chain, self._swt.functions.nonces(_address(owner))))

    # -- transactions --------------------------------------------------------------------

    def faucet(self, signer: Signer, amount_wei: int) -> TxResult:
        """Mints test SWT to ``signer`` (local devnets only)."""
        return transact(self.chain, signer, self._swt.functions.faucet(amount_wei))

    def approve(self, signer: Signer, spender: str, amount_wei: int) -> TxResult:
        fn = self._swt.functions.approve(_address(spender), amount_wei)
        return transact(self.chain, signer, fn)

    def mint(self, signer: Signer, to: str, amount_wei: int) -> TxResult:
        """Mints SWT; only the minter (the UtilityOracle, once deployed) may."""
        return transact(self.chain, signer, self._swt.functions.mint(_address(to), amount_wei))

    def set_minter(self, signer: Signer, minter: str) -> TxResult:
        """Hands the minter role over; the deployer may do it once."""
        return transact(self.chain, signer, self._swt.functions.setMinter(_address(minter)))

    # -- permits -------------------------------------------------------------------------

    def sign_permit(self, signer: Signer, spender: str, value: int, deadline: int) -> Permit:
        """An EIP-2612 permit for ``spender`` to pull ``value`` SWT from ``signer``."""
        typed = {
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"},
                ],
                "Permit": [
                    {"name": "owner", "type": "address"},
                    {"name": "spender", "type": "address"},
                    {"name": "value", "type": "uint256"},
                    {"name": "nonce", "type": "uint256"},
                    {"name": "deadline", "type": "uint256"},
                ],
            },
            "primaryType": "Permit",
            "domain": {
                "name": PERMIT_DOMAIN_NAME,
                "version": PERMIT_DOMAIN_VERSION,
                "chainId": self.chain.chain_id,
                "verifyingContract": self.address,
            },
            "message": {
                "owner": signer.address,
                "spender": _address(spender),
                "value": value,
                "nonce": self.nonce(signer.address),
                "deadline": deadline,
            },
        }
        signed = signer.account.sign_message(encode_typed_data(full_message=typed))
        return Permit(
            deadline, signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")
        )

    def permit_deadline(self) -> int:
        """A deadline :data:`PERMIT_TTL_S` from now, by the later of the chain's clock and
        ours (a devnet's clock may run ahead after time travel)."""
        return max(latest_block(self.chain).timestamp, int(time.time())) + PERMIT_TTL_S


def _address(text: str) -> ChecksumAddress:
    return Web3.to_checksum_address(text)
