"""An EIP-1193 wallet for browser tests: the page sees ``window.ethereum``; its requests come to
Python, which signs with a devnet key (as a wallet would, never through anvil's unlocked
accounts) and forwards everything else to a real anvil.

Playwright's ``expose_function`` carries only plain values, so a refusal travels back as
``{"error": {...}}`` and the init script re-throws it as an Error with the EIP-1193 ``code``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import requests
from eth_account.signers.local import LocalAccount
from web3 import Web3

#: Injected before the page's scripts run. ``window.__walletEmit(event, value)`` lets a test
#: fire ``accountsChanged`` / ``chainChanged`` as a wallet would.
INIT_SCRIPT = """
(() => {
  const listeners = {};
  window.ethereum = {
    async request({ method, params }) {
      const answer = await window.__walletRequest(method, params ?? []);
      if (answer.error) {
        const error = new Error(answer.error.message);
        error.code = answer.error.code;
        if (answer.error.data !== undefined) error.data = answer.error.data;
        throw error;
      }
      return answer.result;
    },
    on(event, listener) { (listeners[event] ??= []).push(listener); },
    removeListener(event, listener) {
      listeners[event] = (listeners[event] ?? []).filter((l) => l !== listener);
    },
  };
  window.__walletEmit = (event, value) => (listeners[event] ?? []).forEach((l) => l(value));
})();
"""

USER_REJECTED = 4001
UNRECOGNIZED_CHAIN = 4902


@dataclass
class BrowserWallet:
    """What the injected provider does. Tests set ``chain_id`` (a wrong chain), ``reject``
    (methods the user refuses) and ``signer`` (a key that is not the account's), and read
    ``calls`` and ``sent`` to prove what reached the wallet and the chain."""

    rpc_url: str
    account: LocalAccount
    chain_id: int
    reject: set[str] = field(default_factory=set)
    signer: LocalAccount | None = None
    calls: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.w3 = Web3(Web3.HTTPProvider(self.rpc_url))
        self.anvil_chain_id = int(self.w3.eth.chain_id)

    def signatures(self) -> int:
        return self.calls.count("eth_signTypedData_v4")

    def request(self, method: str, params: list[Any]) -> dict[str, Any]:
        self.calls.append(method)
        if method in self.reject:
            return _error(USER_REJECTED, "User rejected the request.")
        try:
            return {"result": self._answer(method, params)}
        except _RpcError as exc:
            return {"error": exc.error}

    def _answer(self, method: str, params: list[Any]) -> Any:
        if method in ("eth_requestAccounts", "eth_accounts"):
            return [self.account.address]
        if method == "eth_chainId":
            return hex(self.chain_id)
        if method == "wallet_switchEthereumChain":
            wanted = int(params[0]["chainId"], 16)
            if wanted != self.anvil_chain_id:
                raise _RpcError(UNRECOGNIZED_CHAIN, f"unrecognized chain {wanted}")
            self.chain_id = wanted
            return None
        if method == "eth_signTypedData_v4":
            message = json.loads(params[1]) if isinstance(params[1], str) else params[1]
            signed = (self.signer or self.account).sign_typed_data(full_message=message)
            return "0x" + bytes(signed.signature).hex()
        if method == "eth_sendTransaction":
            return self._send(params[0])
        return self._forward(method, params)

    def _send(self, tx: dict[str, Any]) -> str:
        if int(self.chain_id) != self.anvil_chain_id:
            raise _RpcError(-32000, "the wallet is on another chain")
        address = self.account.address
        filled: dict[str, Any] = {
            "from": address,
            "to": Web3.to_checksum_address(tx["to"]),
            "data": tx.get("data") or tx.get("input") or "0x",
            "value": int(tx.get("value") or "0x0", 16),
            "chainId": self.anvil_chain_id,
            "nonce": int(self._forward("eth_getTransactionCount", [address, "pending"]), 16),
        }
        estimate_params = {k: tx[k] for k in ("from", "to", "data", "value") if tx.get(k)}
        filled["gas"] = int(self._forward("eth_estimateGas", [estimate_params]), 16) * 12 // 10
        base_fee = int(self.w3.eth.get_block("latest")["baseFeePerGas"])
        filled["maxPriorityFeePerGas"] = 10**9
        filled["maxFeePerGas"] = 2 * base_fee + 10**9
        raw = self.account.sign_transaction(filled).raw_transaction
        tx_hash = self._forward("eth_sendRawTransaction", ["0x" + bytes(raw).hex()])
        self.sent.append(str(tx_hash))
        return str(tx_hash)

    def _forward(self, method: str, params: list[Any]) -> Any:
        reply = requests.post(
            self.rpc_url,
            json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params},
            timeout=30,
        ).json()
        if "error" in reply:
            error = reply["error"]
            raise _RpcError(
                int(error.get("code", -32000)), error.get("message", ""), error.get("data")
            )
        return reply["result"]


class _RpcError(Exception):
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.error: dict[str, Any] = {"code": code, "message": message}
        if data is not None:
            self.error["data"] = data


def _error(code: int, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}
