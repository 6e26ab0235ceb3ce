"""What serving a request gives back: the answers, each worker's outcome, and the receipt.

The JSON form (``to_json``) is what ``memjit request --json`` prints, the node's HTTP API
answers and the swarm carries between peers; ``from_json`` reads it back and checks it, since
a peer or a node may send anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from protocol.errors import EngineError


@dataclass(frozen=True)
class WorkerOutcome:
    id: bytes
    cid: str
    score: int
    reward_wei: int
    slashed_wei: int
    terminated: bool
    #: The failure kind (``out-of-fuel``, ``unavailable``, ...), or None for a clean run.
    failure: str | None
    #: Where it ran: ``local``, or the pool worker's name.
    host: str = "local"
    #: It gave the canary answers of a worker registered before it: paid nothing.
    duplicate: bool = False
    #: It was picked to explore (still learning), not for its usefulness.
    explored: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": "0x" + self.id.hex(),
            "cid": self.cid,
            "score": self.score,
            "reward_wei": str(self.reward_wei),
            "slashed_wei": str(self.slashed_wei),
            "terminated": self.terminated,
            "failure": self.failure,
            "host": self.host,
            "duplicate": self.duplicate,
            "explored": self.explored,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WorkerOutcome:
        return cls(
            id=bytes.fromhex(str(data["id"]).removeprefix("0x")),
            cid=_text(data["cid"]),
            score=_integer(data["score"]),
            reward_wei=int(_text(data["reward_wei"])),
            slashed_wei=int(_text(data["slashed_wei"])),
            terminated=_flag(data["terminated"]),
            failure=None if data["failure"] is None else _text(data["failure"]),
            host=_text(data["host"]),
            duplicate=_flag(data["duplicate"]),
            explored=_flag(data.get("explored", False)),
        )


@dataclass(frozen=True)
class RequestResult:
    capability: str
    round_id: int
    #: One answer byte per user item (score-weighted vote), or None if no worker answered.
    answers: bytes | None
    workers: tuple[WorkerOutcome, ...]
    #: The receipt: transaction hashes by step (``open``, ``close``).
    transactions: Mapping[str, str]
    gas: Mapping[str, int]
    timings_s: Mapping[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The result and its receipt, for ``--json`` output."""
        return {
            "capability": self.capability,
            "round_id": self.round_id,
            "answers": None if self.answers is None else list(self.answers),
            "transactions": dict(self.transactions),
            "gas": dict(self.gas),
            "timings_s": dict(self.timings_s),
            "workers": [w.to_json() for w in self.workers],
        }

    @classmethod
    def from_json(cls, data: Any) -> RequestResult:
        """A result as another process sent it; :class:`EngineError` names what is wrong."""
        try:
            answers = data["answers"]
            return cls(
                capability=_text(data["capability"]),
                round_id=_integer(data["round_id"]),
                answers=None if answers is None else bytes(_integer(a) for a in answers),
                workers=tuple(WorkerOutcome.from_json(w) for w in data["workers"]),
                transactions={_text(k): _text(v) for k, v in data["transactions"].items()},
                gas={_text(k): _integer(v) for k, v in data["gas"].items()},
                timings_s={_text(k): float(v) for k, v in data["timings_s"].items()},
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise EngineError(f"malformed request result: {exc!r}") from None


@dataclass(frozen=True)
class ServedRequest:
    """A result, and which node of the swarm ran its round (None: this one, outside a
    swarm)."""

    result: RequestResult
    node: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {**self.result.to_json(), "node": self.node}

    @classmethod
    def from_json(cls, data: Any) -> ServedRequest:
        node = data.get("node") if isinstance(data, Mapping) else None
        return cls(RequestResult.from_json(data), None if node is None else _text(node))


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {value!r:.40}")
    return value


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {value!r:.40}")
    return int(value)


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r:.40}")
    return value
