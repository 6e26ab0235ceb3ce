"""The engine's side of the pool: a round's runs sent as Celery tasks, one per worker.

Every failure of the pool itself — the broker unreachable, no pool worker answering, a run
lost more times than the retry cap, the round's wait running out — raises a
:class:`~protocol.errors.PoolError` naming the cause; the engine then abandons the round, so
no worker is scored (or slashed) for the pool's fault.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from celery import Celery
from celery.exceptions import TimeoutError as CeleryTimeout
from celery.result import AsyncResult
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from protocol.errors import PoolError, PoolUnavailable
from protocol.pool.app import QUEUE, TASK_NAME, pool_app, safe_url
from protocol.pool.codec import encode_bytes, execution_from_wire, limits_to_wire
from protocol.runtime import Execution
from protocol.sandbox import Limits
from protocol.settings import Settings

log = logging.getLogger(__name__)

#: Seconds to wait for a broker connection, and for the first pool worker to answer a ping.
CONNECT_TIMEOUT_S = 3.0
#: The engine's reconnects to the result store before a round gives up on the pool (about
#: 5 s; Celery's default is 20 s).
RESULT_RETRY_POLICY = {"max_retries": 5, "interval_start": 0, "interval_step": 1, "interval_max": 1}
#: Connection errors of the broker and the result store, as kombu and redis-py raise them.
OUTAGE = (OperationalError, RedisError, ConnectionError, OSError)


class PoolExecutor:
    """Runs a round's workers on the Celery pool behind ``settings.broker``."""

    def __init__(self, settings: Settings, limits: Limits) -> None:
        assert settings.broker is not None
        self.settings = settings
        self.where = safe_url(settings.broker)
        self.limits = limits_to_wire(limits)
        self.timeout_s = settings.pool_timeout_s
        self._app: Celery | None = None
        if not logging.getLogger().isEnabledFor(logging.DEBUG):
            # Celery logs each reconnect to a lost result store as an error; the round's
            # one-line error says it once (-v shows them).
            logging.getLogger("celery.backends").setLevel(logging.CRITICAL + 1)

    @property
    def app(self) -> Celery:
        """The Celery app, made anew after an outage (Celery's result consumer gives up for
        good once its reconnects run out)."""
        if self._app is None:
            self._app = pool_app(self.settings)
            self._app.conf.result_backend_transport_options = {"retry_policy": RESULT_RETRY_POLICY}
        return self._app

    def check(self) -> None:
        """The broker answers and at least one pool worker listens on it."""
        try:
            reach_broker(self.app, self.where)
            replies = self.app.control.ping(timeout=CONNECT_TIMEOUT_S, limit=1)
        except OUTAGE as exc:
            self._reset()
            raise unreachable(self.where, exc) from exc
        if not replies:
            raise PoolUnavailable(
                f"no pool worker answers on {self.where}: start one with `memjit pool start`"
            )

    def execute_all(self, cids: Sequence[str], data: bytes) -> list[Execution]:
        payload = encode_bytes(data)
        results: list[AsyncResult] = []
        try:
            for cid in cids:
                results.append(
                    self.app.send_task(TASK_NAME, args=(cid, payload, self.limits), queue=QUEUE)
                )
            return self._collect(cids, results)
        except (*OUTAGE, RuntimeError) as exc:
            self._reset()
            reason = (
                "its result store stopped answering"  # Celery's consumer ran out of reconnects
                if isinstance(exc, RuntimeError)
                else " ".join(str(exc).split())
            )
            raise PoolUnavailable(f"lost the pool's broker {self.where}: {reason}") from exc
        finally:
            for result in results:
                _forget(result)

    def _collect(self, cids: Sequence[str], results: Sequence[AsyncResult]) -> list[Execution]:
        deadline = time.monotonic() + self.timeout_s
        executions: list[Execution] = []
        for cid, result in zip(cids, results, strict=True):
            remaining = deadline - time.monotonic()
            try:
                value: Any = result.get(
                    timeout=max(remaining, 0.001), interval=0.05, propagate=False
                )
            except CeleryTimeout:
                raise PoolError(
                    f"the pool did not run {cid} within {self.timeout_s:g} s "
                    f"(are its workers busy or gone?)"
                ) from None
            if isinstance(value, BaseException):  # the task failed: our code, or lost processes
                raise PoolError(f"the pool failed to run {cid}: {type(value).__name__}: {value}")
            execution = execution_from_wire(value)
            if execution.cid != cid:
                raise PoolError(f"the pool answered for {execution.cid} when asked for {cid}")
            executions.append(execution)
        return executions

    def close(self) -> None:
        self._reset()

    def _reset(self) -> None:
        if self._app is not None:
            try:
                self._app.close()
            except Exception as exc:  # closing connections to a broker that is gone
                log.debug("closing the pool app: %s", exc)
            self._app = None


def reach_broker(app: Celery, where: str) -> int:
    """Connect to the broker (one retry, :data:`CONNECT_TIMEOUT_S`); the length of the pool's
    queue. :class:`PoolUnavailable` when the broker does not answer."""
    try:
        with app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=CONNECT_TIMEOUT_S)
            return int(conn.default_channel.client.llen(QUEUE))
    except OUTAGE as exc:
        raise unreachable(where, exc) from exc


def unreachable(where: str, exc: BaseException) -> PoolUnavailable:
    return PoolUnavailable(f"the pool's broker {where} is unreachable: {exc}")


def _forget(result: AsyncResult) -> None:
    """Drop a collected (or abandoned) result from Redis; the broker may already be gone."""
    try:
        result.forget()
    except Exception as exc:  # best effort: results expire on their own
        log.debug("could not forget result %s: %s", result.id, exc)
