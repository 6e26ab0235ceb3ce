"""Content stores: put bytes → CID, get CID → verified bytes.

``local`` (the embedded default) keeps blocks in a directory; ``kubo`` talks to an IPFS node's
HTTP RPC. Both compute and check the same CIDs (:mod:`protocol.cid`).
"""

from __future__ import annotations

from protocol.errors import ConfigError
from protocol.settings import Settings
from protocol.store.base import ContentStore
from protocol.store.local import LocalStore

__all__ = ["ContentStore", "LocalStore", "open_store"]


def open_store(settings: Settings) -> ContentStore:
    """The store the settings name: ``local`` under ``$MEMJIT_HOME/blocks``, or ``kubo``."""
    if settings.store == "local":
        return LocalStore(settings.blocks_dir, hash_function=settings.hash_function)
    if settings.store == "kubo":
        from protocol.store.kubo import KuboStore

        return KuboStore(
            settings.ipfs_api,
            hash_function=settings.hash_function,
            timeout_s=settings.ipfs_timeout_s,
        )
    raise ConfigError(f"unknown store {settings.store!r} (use local or kubo)")
