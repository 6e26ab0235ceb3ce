"""The content-store interface every backend implements."""

from __future__ import annotations

from abc import ABC, abstractmethod

from protocol.cid import HashFunction, check_size, cid_for, parse_cid, verify_content


class ContentStore(ABC):
    """Content-addressed blocks. ``get`` never returns bytes that do not match their CID."""

    def __init__(self, hash_function: HashFunction = "sha2-256") -> None:
        self.hash_function: HashFunction = hash_function

    def put(self, data: bytes) -> str:
        """Store ``data`` (one block at most) and return its CID."""
        check_size(data)
        cid = cid_for(data, self.hash_function)
        self._put(cid, data)
        return cid

    def get(self, cid: str) -> bytes:
        """The content of ``cid``, verified against it (:class:`ContentMismatch` otherwise)."""
        parsed = parse_cid(cid)
        data = self._get(str(parsed))
        verify_content(parsed, data)
        return data

    def has(self, cid: str) -> bool:
        """Whether this store holds ``cid`` without asking the network."""
        return self._has(str(parse_cid(cid)))

    def pin(self, cid: str) -> None:
        """Keep ``cid`` through garbage collection."""
        self._pin(str(parse_cid(cid)))

    @abstractmethod
    def _put(self, cid: str, data: bytes) -> None: ...

    @abstractmethod
    def _get(self, cid: str) -> bytes:
        """Raw bytes stored for ``cid``; raise ContentNotFound when absent."""

    @abstractmethod
    def _has(self, cid: str) -> bool: ...

    @abstractmethod
    def _pin(self, cid: str) -> None: ...
