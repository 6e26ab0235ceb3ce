"""The swarm inside a MemJit node: the trio-based :class:`SwarmNode` on a thread of its own,
called from the node's ordinary threads (HTTP handlers, the engine), and the engine as the
swarm node's backend.

    local store ──► SwarmStore ──► WorkerRuntime ──► JITEngine ◄── EngineBackend ◄── peers
                      │ miss: fetched from peers, verified, kept
                      └────────────────────────────► SwarmService (trio thread)

The engine reads modules through :class:`SwarmStore`: blocks the node holds come from its own
store, the rest from the swarm, verified against their CID and kept. So a round runs the same
whether its workers' modules were here or not.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import trio

from protocol.engine.results import RequestResult
from protocol.errors import MemJitError, StoreUnavailable, SwarmError
from protocol.runtime import WorkerRuntime
from protocol.store.base import ContentStore
from protocol.swarm.node import Backend, SwarmNode
from protocol.swarm.reputation import PeerStanding

log = logging.getLogger(__name__)

T = TypeVar("T")

#: A seeded module unused for this long, and of low utility, leaves the node.
SEED_GRACE_S = 3600.0
#: Utility below which a module kept for the swarm may go (as ``memjit cache purge``).
MIN_UTILITY = 0.1
#: Starting the host and dialling the bootstrap peers.
START_TIMEOUT_S = 60.0


class SwarmService:
    """A :class:`SwarmNode` running on its own thread; every method is called from other
    threads and waits for the node's answer."""

    def __init__(
        self,
        node: SwarmNode,
        port: int = 0,
        bootstrap: Sequence[str] = (),
        host: str = "127.0.0.1",
    ) -> None:
        self.node = node
        self.port = port
        self.bootstrap = tuple(bootstrap)
        self.host = host
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._token: trio.lowlevel.TrioToken | None = None
        self._cancel: trio.CancelScope | None = None
        self._thread = threading.Thread(target=self._thread_main, name="swarm", daemon=True)

    def start(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """Start the node; returns once peers can reach it (SwarmError if it cannot listen)."""
        self._thread.start()
        if not self._ready.wait(timeout_s):
            raise SwarmError(f"the swarm node did not start within {timeout_s:g} s")
        if isinstance(self._error, SwarmError):
            raise self._error
        if self._error is not None:
            raise SwarmError(
                f"cannot start the swarm node on {self.host}:{self.port}: {self._error}"
            ) from None

    def stop(self) -> None:
        if self._token is not None and self._cancel is not None and self._thread.is_alive():
            with contextlib.suppress(trio.RunFinishedError):  # it stopped by itself meanwhile
                trio.from_thread.run_sync(self._cancel.cancel, trio_token=self._token)
        self._thread.join(timeout=10)

    def _thread_main(self) -> None:
        try:
            trio.run(self._main)
        except BaseException as exc:  # reported by start(); nothing else may see it
            self._error = self._error or exc
            log.debug("swarm thread ended: %r", exc)
        finally:
            self._ready.set()

    async def _main(self) -> None:
        self._token = trio.lowlevel.current_trio_token()
        async with trio.open_nursery() as nursery:
            self._cancel = nursery.cancel_scope
            run = functools.partial(
                self.node.run, self.port, self.bootstrap, host=self.host, maintain=True
            )
            try:
                await nursery.start(run)
            except BaseException as exc:
                self._error = _root_cause(exc)
                raise
            self._ready.set()

    def call(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run ``fn(*args)`` on the node's loop and wait for its result."""
        if self._token is None or not self._thread.is_alive():
            raise SwarmError("the swarm node is not running")
        try:
            return trio.from_thread.run(fn, *args, trio_token=self._token)
        except trio.RunFinishedError:
            raise SwarmError("the swarm node stopped") from None

    # -- what the node's other threads ask -----------------------------------------------------

    @property
    def address(self) -> str:
        return self.node.address

    @property
    def peer_id(self) -> str:
        return self.node.peer_id

    def peers(self) -> list[PeerStanding]:
        async def peers() -> list[PeerStanding]:
            return self.node.peers()

        return self.call(peers)

    def find(self, capability: str) -> list[PeerStanding]:
        """The peers serving ``capability``, best first, with their scores."""

        async def find() -> list[PeerStanding]:
            found = await self.node.find(capability)
            return [PeerStanding(peer, self.node.reputation.score(peer)) for peer in found]

        return self.call(find)

    def fetch(self, cid: str) -> bytes:
        return self.call(self.node.fetch, cid)

    def execute(self, capability: str, data: bytes) -> tuple[RequestResult, str]:
        return self.call(self.node.execute, capability, data)


def _root_cause(exc: BaseException) -> BaseException:
    """The first leaf of an exception group (trio wraps what a nursery task raised)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


class SwarmStore(ContentStore):
    """The node's store, with misses served by the swarm: fetched from a provider, verified
    against the CID, and kept (on the swarm's shelf: evictable, unlike the node's own)."""

    def __init__(self, local: ContentStore, service: SwarmService) -> None:
        super().__init__(local.hash_function)
        self.local = local
        self.service = service

    def get(self, cid: str) -> bytes:
        if self.local.has(cid):
            self.service.node.shelf.use(str(cid))
            return self.local.get(cid)
        try:
            return self.service.fetch(cid)
        except MemJitError:
            raise
        except Exception as exc:  # py-libp2p's lookup errors share no base class
            raise StoreUnavailable(f"the swarm could not look up {cid}: {exc}") from None

    def _get(self, cid: str) -> bytes:  # pragma: no cover - get() is overridden
        return self.get(cid)

    def _put(self, cid: str, data: bytes) -> None:
        self.local.put(data)

    def _has(self, cid: str) -> bool:
        return self.local.has(cid)

    def _pin(self, cid: str) -> None:
        self.local.pin(cid)


class EngineBackend(Backend):
    """The node's engine behind the swarm: requests from peers run as rounds here, seeded
    modules are compiled before they are kept, unused ones purged from the module cache."""

    def __init__(
        self, serve: Callable[[str, bytes], RequestResult], runtime: WorkerRuntime
    ) -> None:
        self.serve = serve
        self.runtime = runtime

    async def execute(self, capability: str, data: bytes) -> RequestResult:
        return await trio.to_thread.run_sync(self.serve, capability, data)

    async def check(self, cid: str, data: bytes) -> None:
        # Compiling is the check (ABI, imports) and warms the cache for the first round.
        await trio.to_thread.run_sync(self.runtime.cache.get_or_compile, cid, data)

    async def purge(self, candidates: list[str]) -> list[str]:
        def purge() -> list[str]:
            return self.runtime.cache.purge_low_utility(
                MIN_UTILITY, among=set(candidates), min_idle_s=SEED_GRACE_S
            )

        return await trio.to_thread.run_sync(purge)

    async def evicted(self, cids: list[str]) -> None:
        await trio.to_thread.run_sync(functools.partial(self.runtime.cache.evict, *cids))
