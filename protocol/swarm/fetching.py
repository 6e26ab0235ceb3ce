"""Getting a module from the swarm: providers tried best first, every block checked against
its CID, every outcome charged to the peer that caused it.

The transport is a parameter (``fetch_from``: the libp2p fetch protocol in a node, anything in
tests), so this holds only the policy:

- providers are tried in reputation order, at most ``attempts`` of them: provider records of
  dead peers linger (24 h in libp2p), so a fetch must move on, not fail;
- a peer that does not answer (error, timeout, closed stream) loses liveness;
- a peer whose bytes do not hash to the CID is a liar (content is verified before it is
  served, so a mismatch is no accident): its score halves, and the bytes are dropped;
- a peer that serves the block gains liveness and bandwidth credit.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable

from protocol.cid import check_size, parse_cid, verify_content
from protocol.errors import ContentMismatch, ContentNotFound, ContentTooLarge, MemJitError
from protocol.swarm.reputation import Reputation

log = logging.getLogger(__name__)

#: (peer id, CID) -> the bytes the peer sent. It raises on transport failure or timeout.
FetchFrom = Callable[[str, str], Awaitable[bytes]]

#: Providers tried before giving up.
DEFAULT_ATTEMPTS = 4


async def fetch_verified(
    cid: str,
    providers: Iterable[str],
    fetch_from: FetchFrom,
    reputation: Reputation,
    attempts: int = DEFAULT_ATTEMPTS,
) -> tuple[bytes, str]:
    """The block for ``cid`` and the peer that served it; ContentNotFound (naming what each
    peer tried did) when no provider serves it intact. BadCid before any peer is asked."""
    parsed = parse_cid(cid)
    tried: list[str] = []
    for peer in reputation.rank(dict.fromkeys(providers))[:attempts]:
        try:
            data = await fetch_from(peer, cid)
        except (MemJitError, OSError, TimeoutError) as exc:
            reputation.liveness(peer, answered=False)
            log.info("peer %s did not serve %s: %s", peer, cid, exc)
            tried.append(f"{peer}: {type(exc).__name__}")
            continue
        reputation.liveness(peer, answered=True)
        try:
            check_size(data)
            verify_content(parsed, data)
        except (ContentMismatch, ContentTooLarge) as exc:
            reputation.misbehaved(peer)
            log.warning("peer %s served bytes that are not %s: %s", peer, cid, exc)
            tried.append(f"{peer}: wrong bytes")
            continue
        reputation.served(peer, len(data))
        return data, peer
    detail = "; ".join(tried) if tried else "no providers"
    raise ContentNotFound(f"no peer served {cid} intact ({detail})")
