"""The Celery app of the pool, configured the same way for the engine that sends runs and for
the workers that execute them.

Decisions, each for a fault the pool must survive:

* **Late acks, requeue on a lost worker.** A task is acknowledged only after its result is
  stored. A pool process killed mid-run makes its parent requeue the task at once
  (``task_retry_on_worker_lost``, with the retry count capped so a module that kills every
  process it touches cannot loop forever); a whole worker machine that dies leaves its tasks
  unacknowledged in Redis, and another worker takes them back after ``pool_redeliver_s``
  (Redis's visibility timeout, swept every second).
* **One task per process at a time** (prefetch 1, fair scheduling): a run holds a CPU for its
  whole length, so reserving more would only let a slow run delay a waiting one.
* **JSON only.** Pool workers deserialize nothing richer than JSON from the broker.
* **Our own queue** (``memjit``), so the pool can share a Redis with other Celery apps.
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from kombu.utils.url import maybe_sanitize_url

from protocol.settings import Settings

QUEUE = "memjit"
TASK_NAME = "memjit.execute"
#: How many times a task whose pool process died is retried before the round gives up on it.
WORKER_LOST_RETRIES = 2
#: Seconds between sweeps that hand a dead worker's tasks to another.
RESTORE_INTERVAL_S = 1
#: How long finished results stay in Redis if the engine never collects them.
RESULT_TTL_S = 3600


def pool_app(settings: Settings) -> Celery:
    """The pool's app for ``settings.broker`` (which must be set)."""
    if settings.broker is None:  # Settings checked its URL when it was set
        raise ValueError("pool_app needs a broker")
    app = Celery("memjit", broker=settings.broker, backend=settings.broker, set_as_current=False)
    transport: dict[str, Any] = {
        "visibility_timeout": settings.pool_redeliver_s,
        "unacked_restore_interval": RESTORE_INTERVAL_S,
        "unacked_restore_throttle": 1,
    }
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_accept_content=["json"],
        task_default_queue=QUEUE,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_retry_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_transport_options=transport,
        result_expires=RESULT_TTL_S,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        worker_send_task_events=False,
        task_send_sent_event=False,
        enable_utc=True,
    )
    return app


def safe_url(url: str) -> str:
    """The broker's URL without its password, for messages and logs."""
    return str(maybe_sanitize_url(url))
