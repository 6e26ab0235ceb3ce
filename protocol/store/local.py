"""A directory blockstore: one file per block, sharded by the CID's last two characters
(as IPFS's flatfs does), written atomically."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from oracle.files import write_atomic
from protocol.cid import HashFunction, parse_cid
from protocol.errors import ContentMismatch, ContentNotFound
from protocol.store.base import ContentStore


class LocalStore(ContentStore):
    """Blocks under ``root/blocks``, pins as marker files under ``root/pins``."""

    def __init__(self, root: Path, hash_function: HashFunction = "sha2-256") -> None:
        super().__init__(hash_function)
        self.root = root

    def _block_path(self, cid: str) -> Path:
        return self.root / "blocks" / cid[-2:] / cid

    def _put(self, cid: str, data: bytes) -> None:
        path = self._block_path(cid)
        if path.is_file():
            return
        write_atomic(path, data)

    def get(self, cid: str) -> bytes:
        try:
            return super().get(cid)
        except ContentMismatch:
            # A corrupted block is worse than none: drop it so a fresh copy can replace it.
            self._block_path(str(parse_cid(cid))).unlink(missing_ok=True)
            raise

    def _get(self, cid: str) -> bytes:
        try:
            return self._block_path(cid).read_bytes()
        except FileNotFoundError:
            raise ContentNotFound(f"{cid} is not in the local store ({self.root})") from None

    def _has(self, cid: str) -> bool:
        return self._block_path(cid).is_file()

    def _pin(self, cid: str) -> None:
        if not self._has(cid):
            raise ContentNotFound(f"cannot pin {cid}: not in the local store ({self.root})")
        (self.root / "pins").mkdir(parents=True, exist_ok=True)
        (self.root / "pins" / cid).touch()

    def cids(self) -> Iterator[str]:
        """Every CID held, in no particular order."""
        blocks = self.root / "blocks"
        if blocks.is_dir():
            for path in blocks.glob("*/*"):
                if not path.name.startswith("."):
                    yield path.name

    def is_pinned(self, cid: str) -> bool:
        return (self.root / "pins" / str(parse_cid(cid))).is_file()

    def remove(self, cid: str) -> bool:
        """Drop an unpinned block; pinned blocks stay. Returns whether a block was removed."""
        cid = str(parse_cid(cid))
        if self.is_pinned(cid):
            return False
        path = self._block_path(cid)
        existed = path.is_file()
        path.unlink(missing_ok=True)
        return existed
