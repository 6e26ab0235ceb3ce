"""Evaluation sets: canary items with public inputs and hidden answers.

The oracle operator draws m canaries from a labelled set it keeps private, publishes the
commitment to their answers (with a random salt) when a round opens, mixes the canary inputs
into the round's batch, and later proves each worker's score against the committed answers.

On disk an evaluation set is JSON (``memjit-evaluation/1``). It holds the hidden answers and
salt: keep it private, like a key.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from typing import Any

from oracle.commitments import evaluation_commitment
from oracle.datasets import LabelledSet
from oracle.errors import MalformedInput
from oracle.field import R
from oracle.scoring import NO_ANSWER

FORMAT = "memjit-evaluation/1"


@dataclass(frozen=True)
class EvaluationSet:
    task: str
    item_size: int
    #: The canaries' inputs: public once mixed into a round.
    inputs: tuple[bytes, ...]
    #: One answer byte per canary: hidden.
    answers: bytes
    #: A uniformly random field element: hidden.
    salt: int

    def __post_init__(self) -> None:
        if not self.inputs or len(self.inputs) != len(self.answers):
            raise MalformedInput(
                f"{len(self.inputs)} canary inputs but {len(self.answers)} answers"
            )
        if any(len(item) != self.item_size for item in self.inputs):
            raise MalformedInput(f"every canary input must be {self.item_size} bytes")
        if NO_ANSWER in self.answers:
            raise MalformedInput(f"answer byte {NO_ANSWER:#x} is reserved for 'no answer'")
        if not 0 <= self.salt < R:
            raise MalformedInput("salt must be in the scalar field")

    def __len__(self) -> int:
        return len(self.inputs)

    def commitment(self) -> int:
        """Poseidon(salt, m, answers): what the round opens with."""
        return evaluation_commitment(self.answers, self.salt)

    def batch(self) -> bytes:
        """The canary inputs concatenated: one worker input."""
        return b"".join(self.inputs)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "task": self.task,
            "item_size": self.item_size,
            "inputs": [item.hex() for item in self.inputs],
            "answers": self.answers.hex(),
            "salt": str(self.salt),
            "commitment": str(self.commitment()),
        }

    @classmethod
    def from_json(cls, obj: object) -> EvaluationSet:
        if not isinstance(obj, dict) or obj.get("format") != FORMAT:
            raise MalformedInput(f"not an evaluation set (expected format {FORMAT!r})")
        try:
            evaluation = cls(
                task=str(obj["task"]),
                item_size=int(obj["item_size"]),
                inputs=tuple(bytes.fromhex(item) for item in obj["inputs"]),
                answers=bytes.fromhex(obj["answers"]),
                salt=int(obj["salt"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, MalformedInput):
                raise
            raise MalformedInput(f"malformed evaluation set: {exc}") from exc
        if "commitment" in obj and str(obj["commitment"]) != str(evaluation.commitment()):
            raise MalformedInput("evaluation set's commitment does not match its answers and salt")
        return evaluation


def draw_canaries(
    source: LabelledSet, count: int, rng: random.Random | None = None
) -> EvaluationSet:
    """``count`` distinct items of ``source``, verbatim, with a fresh salt. Without ``rng``
    both come from the OS's secure generator (a predictable draw would let workers learn the
    canaries). Rounds draw through :class:`oracle.canaries.CanarySource`, which varies the
    items and never repeats a published one; this is its step for a pool that is not varied."""
    if not 1 <= count <= len(source):
        raise MalformedInput(f"cannot draw {count} canaries from {len(source)} items")
    chooser = rng or secrets.SystemRandom()
    picks = chooser.sample(range(len(source)), count)
    salt = rng.randrange(R) if rng else secrets.randbelow(R)
    return EvaluationSet(
        task=source.task,
        item_size=source.item_size,
        inputs=tuple(source.inputs[i] for i in picks),
        answers=bytes(source.labels[i] for i in picks),
        salt=salt,
    )
