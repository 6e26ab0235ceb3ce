"""Content identifiers: the CIDv1 that ``ipfs add --cid-version 1 --raw-leaves`` gives
single-block content (raw codec 0x55, sha2-256 multihash), in base32 ("b...")."""

from __future__ import annotations

import base64
import hashlib

_CID_V1 = 0x01
_RAW_CODEC = 0x55
_SHA2_256 = 0x12


def cid_for(data: bytes) -> str:
    """The CIDv1 (raw, sha2-256, base32 lower-case) of ``data``."""
    digest = hashlib.sha256(data).digest()
    raw = bytes([_CID_V1, _RAW_CODEC, _SHA2_256, len(digest)]) + digest
    return "b" + base64.b32encode(raw).decode("ascii").lower().rstrip("=")
