"""What the pool looks like from its broker: the workers that answer and the queue."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from protocol.pool.app import pool_app, safe_url
from protocol.pool.executor import OUTAGE, reach_broker, unreachable
from protocol.settings import Settings


@dataclass(frozen=True)
class PoolWorker:
    name: str
    processes: int
    #: Runs in progress now.
    running: int
    #: Runs finished since the worker started.
    done: int


@dataclass(frozen=True)
class PoolStatus:
    broker: str
    workers: tuple[PoolWorker, ...]
    #: Runs waiting for a free process.
    queued: int

    def to_json(self) -> dict[str, Any]:
        return {
            "broker": self.broker,
            "queued": self.queued,
            "workers": [asdict(w) for w in self.workers],
        }


def pool_status(settings: Settings, timeout_s: float) -> PoolStatus:
    """Ask every worker on ``settings.broker`` (waiting ``timeout_s``) and read the queue."""
    app = pool_app(settings)
    where = safe_url(settings.broker or "")
    try:
        queued = reach_broker(app, where)
        inspect = app.control.inspect(timeout=timeout_s)
        stats: dict[str, Any] = inspect.stats() or {}
        active: dict[str, Any] = inspect.active() or {}
    except OUTAGE as exc:
        raise unreachable(where, exc) from exc
    finally:
        app.close()
    workers = tuple(
        PoolWorker(
            name=name,
            processes=int(info.get("pool", {}).get("max-concurrency", 0)),
            running=len(active.get(name, [])),
            done=sum(int(n) for n in info.get("total", {}).values()),
        )
        for name, info in sorted(stats.items())
    )
    return PoolStatus(where, workers, queued)
