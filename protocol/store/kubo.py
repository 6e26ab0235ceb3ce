"""The ``kubo`` backend: an IPFS node's HTTP RPC (kubo, or any node speaking the same API,
such as js-ipfs) through ipfshttpclient.

Content goes in with ``add --cid-version 1 --raw-leaves`` (so the node indexes it exactly as
a user's ``ipfs add`` would) and comes back with ``block/get``; the CID the node reports and
the bytes it returns are both checked against the CID computed here. ``has`` asks the node's
own blockstore only (``offline``, with a short server-side timeout for nodes that ignore
``offline``), so it never waits on the network; ``get`` may search the network, for at most
``timeout_s``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import ipfshttpclient
from ipfshttpclient import exceptions as ipfs_errors

from protocol.cid import HashFunction
from protocol.errors import ContentNotFound, StoreError, StoreUnavailable
from protocol.store.base import ContentStore

T = TypeVar("T")

#: How long ``has`` lets a node look before answering "no".
HAS_TIMEOUT_S = 0.5
_MISSING = ("not found", "timed out", "enoent", "no such file", "not pinned")


class KuboStore(ContentStore):
    """Blocks on an IPFS node reached at the multiaddr ``api``."""

    def __init__(
        self, api: str, hash_function: HashFunction = "sha2-256", timeout_s: float = 30.0
    ) -> None:
        super().__init__(hash_function)
        self.api = api
        self.timeout_s = timeout_s
        self._client: Any = None

    def _connected(self) -> Any:
        if self._client is None:
            self._client = self._call(
                "connect", lambda: ipfshttpclient.connect(self.api, timeout=self.timeout_s + 5)
            )
        return self._client

    def _call(self, what: str, action: Callable[[], T], cid: str | None = None) -> T:
        """Run one RPC call, translating ipfshttpclient's errors into StoreErrors."""
        try:
            with warnings.catch_warnings():
                # ipfshttpclient warns about daemon versions newer than it knows (the calls
                # used here are stable across them) and passes urllib3 a deprecated argument.
                warnings.simplefilter("ignore")
                return action()
        except ipfs_errors.ConnectionError as exc:
            raise StoreUnavailable(f"cannot reach the IPFS node at {self.api} ({what})") from exc
        except ipfs_errors.TimeoutError as exc:
            raise StoreUnavailable(
                f"the IPFS node at {self.api} did not answer {what} in {self.timeout_s:g} s"
            ) from exc
        except ipfs_errors.ErrorResponse as exc:
            if cid is not None and any(word in str(exc).lower() for word in _MISSING):
                raise ContentNotFound(
                    f"{cid} is not available from the IPFS node at {self.api} "
                    f"(looked for {self.timeout_s:g} s)"
                ) from exc
            raise StoreError(f"the IPFS node at {self.api} refused {what}: {exc}") from exc
        except ipfs_errors.Error as exc:
            raise StoreUnavailable(f"IPFS RPC {what} failed: {exc}") from exc

    def _put(self, cid: str, data: bytes) -> None:
        client = self._connected()
        opts = {
            "cid-version": 1,
            "raw-leaves": True,
            "hash": self.hash_function,
            "cid-base": "base32",
            "pin": False,
        }
        stored = self._call("add", lambda: client.add_bytes(data, opts=opts))
        if stored != cid:
            raise StoreError(
                f"the IPFS node at {self.api} stored the content as {stored}, expected {cid}"
            )

    def _get(self, cid: str) -> bytes:
        client = self._connected()
        opts = {"timeout": f"{self.timeout_s}s"}
        data = self._call("block/get", lambda: client.block.get(cid, opts=opts), cid)
        return bytes(data)

    def _has(self, cid: str) -> bool:
        client = self._connected()
        opts = {"timeout": f"{HAS_TIMEOUT_S}s"}
        try:
            self._call("block/stat", lambda: client.block.stat(cid, offline=True, opts=opts), cid)
        except ContentNotFound:
            return False
        return True

    def _pin(self, cid: str) -> None:
        client = self._connected()
        opts = {"timeout": f"{self.timeout_s}s"}
        self._call("pin/add", lambda: client.pin.add(cid, opts=opts), cid)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
