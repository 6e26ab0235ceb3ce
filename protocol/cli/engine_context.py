"""What a command that runs the engine needs: the chain, the operator's key, the oracle keys,
the content store and the canary pool, given as one set of options and opened as one engine."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oracle.pools import read_pool
from protocol.cli.context import (
    RPC_HELP,
    broker_option,
    canary_pool_option,
    contracts_for,
    load_settings,
    rpc_option,
    signer_for,
    signer_options,
    store_options,
)
from protocol.cli.oracle_cmds import keys_option, open_keys
from protocol.engine import JITEngine, Journal
from protocol.runtime import Executor, LocalExecutor, WorkerRuntime
from protocol.settings import Settings
from protocol.store import ContentStore, open_store


@dataclass(frozen=True)
class EngineOptions:
    """``--rpc``, ``--keystore``/``--account``, ``--keys``, ``--store``/``--ipfs-api``,
    ``--broker``, ``--canary-pool``."""

    rpc_url: str | None = None
    keystore: Path | None = None
    account_index: int = 0
    keys_dir: Path | None = None
    store: str | None = None
    ipfs_api: str | None = None
    broker: str | None = None
    canary_pool: Path | None = None


def engine_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The engine's options on a command, passed to it as one ``engine: EngineOptions``."""

    @functools.wraps(func)
    def command(
        *args: Any,
        rpc_url: str | None,
        keystore: Path | None,
        account_index: int,
        keys_dir: Path | None,
        store: str | None,
        ipfs_api: str | None,
        broker: str | None,
        canary_pool: Path | None,
        **kwargs: Any,
    ) -> Any:
        options = EngineOptions(
            rpc_url, keystore, account_index, keys_dir, store, ipfs_api, broker, canary_pool
        )
        return func(*args, engine=options, **kwargs)

    wrapped: Callable[..., Any] = command
    for option in (
        canary_pool_option,
        broker_option,
        store_options,
        keys_option,
        signer_options,
        rpc_option(RPC_HELP),
    ):
        wrapped = option(wrapped)
    return wrapped


@contextmanager
def open_engine(
    options: EngineOptions, store_hook: Callable[[ContentStore], ContentStore] | None = None
) -> Iterator[JITEngine]:
    """The engine of this node: the recorded deployment, the operator's key, the configured
    store and cache, the oracle keys, the canary pool, and a journal per chain and oracle.
    ``store_hook`` wraps the store the engine reads modules from (the swarm's, in a node of a
    swarm)."""
    settings = load_settings(
        store=options.store,
        ipfs_api=options.ipfs_api,
        broker=options.broker,
        canary_pool=options.canary_pool,
    )
    canaries = None if settings.canary_pool is None else read_pool(settings.canary_pool)
    mj = contracts_for(options.rpc_url, settings)
    operator = signer_for(mj.chain, options.keystore, options.account_index)
    journal = Journal(settings.home / "rounds" / f"{mj.chain.chain_id}-{mj.rounds.address}")
    store = open_store(settings)
    if store_hook is not None:
        store = store_hook(store)
    keys = open_keys(options.keys_dir)
    with (
        WorkerRuntime.from_settings(settings, store) as runtime,
        executor_for(settings, runtime) as executor,
    ):
        yield JITEngine(mj, operator, runtime, keys, journal, executor=executor, canaries=canaries)


@contextmanager
def executor_for(settings: Settings, runtime: WorkerRuntime) -> Iterator[Executor]:
    """The pool behind ``settings.broker`` when one is set, else this process. Celery is
    imported only for a pool: the in-process engine does not pay its import time."""
    executor: Executor
    if settings.broker is None:
        executor = LocalExecutor(runtime)
    else:
        from protocol.pool.executor import PoolExecutor

        executor = PoolExecutor(settings, runtime.vm.limits)
    try:
        yield executor
    finally:
        executor.close()
