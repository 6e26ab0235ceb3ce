"""DHT keys: what a node announces, as CIDs.

py-libp2p's ``provide``/``find_providers`` read a key string as a CID, else hex, else UTF-8,
so a capability named ``cafe`` would be taken for two hex bytes. Every key is therefore a CID:
a module's own CID, or for a capability the CID of ``memjit/capability/<scope>/<name>``.
"""

from __future__ import annotations

from protocol.cid import cid_for

CAPABILITY_PREFIX = b"memjit/capability/"


def capability_key(capability: str, scope: str = "") -> str:
    """The DHT key under which nodes that serve ``capability`` are providers. ``scope`` names
    the deployment (``<chain id>:<oracle address>``): a round proved on another chain is no
    receipt the caller can check, so nodes of different deployments never serve each other."""
    name = f"{scope}/{capability}" if scope else capability
    return cid_for(CAPABILITY_PREFIX + name.encode())
