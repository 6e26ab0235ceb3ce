"""Content identifiers: CIDv1, raw codec, in base32 (``b...``).

With sha2-256 (the default) this is exactly the CID ``ipfs add --cid-version 1 --raw-leaves``
prints for content of one block. BLAKE3 (multihash 0x1e, 32-byte digest), the hash the
whitepaper names for content addressing, is the alternative.

MemJit stores single-block content only: at most :data:`MAX_BLOCK_BYTES`, IPFS's default
chunk size, the largest content whose ``ipfs add --raw-leaves`` CID is a raw-codec CID. Larger
content would need IPFS's UnixFS chunking (a dag-pb root over raw leaves); it is refused with
:class:`~protocol.errors.ContentTooLarge` instead. Worker modules are far below the limit (the
best digit classifier is under 25 KiB).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Literal

from protocol.errors import BadCid, ContentMismatch, ContentTooLarge

HashFunction = Literal["sha2-256", "blake3"]

#: IPFS's default chunk size (``--chunker size-262144``).
MAX_BLOCK_BYTES = 262_144

_CID_V1 = 0x01
_RAW_CODEC = 0x55
_DAG_PB_CODEC = 0x70
_MULTIHASH: dict[HashFunction, int] = {"sha2-256": 0x12, "blake3": 0x1E}
_BY_CODE = {code: name for name, code in _MULTIHASH.items()}
_DIGEST_BYTES = 32
#: Our CIDs are 59 characters ("b" + base32 of 36 bytes), one with a 64-byte digest 111:
#: text much longer than that is no CID and is not echoed whole.
_MAX_CID_CHARS = 256


@dataclass(frozen=True)
class Cid:
    """A parsed raw-codec CIDv1."""

    hash_function: HashFunction
    digest: bytes

    @property
    def multihash(self) -> bytes:
        """The multihash (code, length, digest): what a Kademlia DHT keys the content by."""
        return bytes([_MULTIHASH[self.hash_function], len(self.digest)]) + self.digest

    def __str__(self) -> str:
        raw = bytes([_CID_V1, _RAW_CODEC]) + self.multihash
        return "b" + base64.b32encode(raw).decode("ascii").lower().rstrip("=")


def digest(data: bytes, hash_function: HashFunction = "sha2-256") -> bytes:
    """The 32-byte digest of ``data`` under ``hash_function``."""
    if hash_function == "sha2-256":
        return hashlib.sha256(data).digest()
    if hash_function == "blake3":
        import blake3  # here, so settings (which name hash functions) stay light to import

        return blake3.blake3(data).digest()
    raise BadCid(f"unknown hash function {hash_function!r} (use sha2-256 or blake3)")


def check_size(data: bytes) -> None:
    """Raise :class:`ContentTooLarge` for content of more than one block."""
    if len(data) > MAX_BLOCK_BYTES:
        raise ContentTooLarge(
            f"content is {len(data)} bytes; MemJit stores single blocks of at most "
            f"{MAX_BLOCK_BYTES} bytes (IPFS's chunk size)"
        )


def cid_for(data: bytes, hash_function: HashFunction = "sha2-256") -> str:
    """The CIDv1 (raw codec, base32 lower-case) of ``data``."""
    return str(Cid(hash_function, digest(data, hash_function)))


def parse_cid(text: str) -> Cid:
    """Parse a base32 raw-codec CIDv1; :class:`BadCid` explains what else it is."""
    text = text.strip()
    if len(text) > _MAX_CID_CHARS:  # not echoed whole: the text may come from anyone
        raise BadCid(f"{text[:20]!r}… ({len(text)} characters) is too long for a CID")
    if text.startswith("Qm") and len(text) == 46:
        raise BadCid(
            f"{text} is a CIDv0 (dag-pb); MemJit uses CIDv1 raw-leaf CIDs "
            "(ipfs add --cid-version 1 --raw-leaves)"
        )
    if not text.startswith("b") or len(text) < 10:
        raise BadCid(f"{text!r} is not a base32 CIDv1 (it should start with 'b')")
    body = text[1:].upper()
    try:
        raw = base64.b32decode(body + "=" * (-len(body) % 8))
    except ValueError as exc:
        raise BadCid(f"{text!r} is not valid base32") from exc
    if len(raw) < 4 or raw[0] != _CID_V1:
        raise BadCid(f"{text} is not a CIDv1")
    if raw[1] == _DAG_PB_CODEC:
        raise BadCid(f"{text} is a dag-pb (chunked UnixFS) CID; MemJit stores raw single blocks")
    if raw[1] != _RAW_CODEC:
        raise BadCid(f"{text} does not use the raw codec (0x55)")
    name = _BY_CODE.get(raw[2])
    if name is None:
        raise BadCid(f"{text} uses multihash 0x{raw[2]:x}; MemJit verifies sha2-256 and blake3")
    if raw[3] != _DIGEST_BYTES or len(raw) != 4 + _DIGEST_BYTES:
        raise BadCid(f"{text} does not carry a 32-byte digest")
    return Cid(name, raw[4:])


def verify_content(cid: str | Cid, data: bytes) -> Cid:
    """Check that ``data`` hashes to ``cid``; :class:`ContentMismatch` otherwise."""
    parsed = parse_cid(cid) if isinstance(cid, str) else cid
    if digest(data, parsed.hash_function) != parsed.digest:
        raise ContentMismatch(f"content does not match {parsed}: {len(data)} bytes discarded")
    return parsed
