"""The Celery pool with Redis: a round's runs spread over ``memjit pool start`` workers.

:mod:`executor` is the engine's side (:class:`~protocol.pool.executor.PoolExecutor`),
:mod:`worker` the pool worker, :mod:`app` the Celery configuration both share, :mod:`codec`
what travels between them, :mod:`status` ``memjit pool status``. Celery is imported only
when a pool is used: the in-process engine (:class:`~protocol.runtime.LocalExecutor`) never
imports this package's modules.
"""
