"""Canaries hidden among a request's items.

The canary inputs are shuffled in with the user's items, so a worker cannot tell which items
are being graded; afterwards each worker's output (one byte per item) is split back into its
canary answers, which are scored, and its answers to the user's items.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from oracle.scoring import canary_outputs


@dataclass(frozen=True)
class MixedBatch:
    items: tuple[bytes, ...]
    #: Where canary j sits in ``items``.
    canary_positions: tuple[int, ...]
    #: Where the user's item i sits in ``items``.
    user_positions: tuple[int, ...]

    def data(self) -> bytes:
        return b"".join(self.items)

    def canary_answers(self, output: bytes | None) -> bytes:
        """The worker's answers to the canaries, in canary order ('no answer' on failure)."""
        if output is None or len(output) != len(self.items):
            return canary_outputs(None, len(self.canary_positions))
        return bytes(output[p] for p in self.canary_positions)

    def user_answers(self, output: bytes | None) -> bytes | None:
        """The worker's answers to the user's items, or None when it failed."""
        if output is None or len(output) != len(self.items):
            return None
        return bytes(output[p] for p in self.user_positions)


def mix(user_items: Sequence[bytes], canaries: Sequence[bytes], rng: random.Random) -> MixedBatch:
    tagged = [("u", i) for i in range(len(user_items))] + [("c", j) for j in range(len(canaries))]
    rng.shuffle(tagged)
    items = tuple(user_items[i] if kind == "u" else canaries[i] for kind, i in tagged)
    canary_pos = [0] * len(canaries)
    user_pos = [0] * len(user_items)
    for position, (kind, i) in enumerate(tagged):
        (canary_pos if kind == "c" else user_pos)[i] = position
    return MixedBatch(items, tuple(canary_pos), tuple(user_pos))


def consensus(answers: Sequence[tuple[bytes | None, int]]) -> bytes | None:
    """Per item, the answer with the largest total score among the workers that gave one
    (``(answers, score)`` pairs, best worker first); ties go to the better worker.

    Why a score-weighted vote rather than the best worker alone: when the best worker errs on
    an item that two good workers agree on, the vote corrects it, and a worker with a zero
    canary score has no say at all.
    """
    voters = [(a, s) for a, s in answers if a is not None and s > 0]
    if not voters:
        return None
    length = len(voters[0][0])
    out = bytearray()
    for i in range(length):
        weights: dict[int, int] = {}  # in order of first vote, which max() keeps on a tie
        for a, s in voters:
            weights[a[i]] = weights.get(a[i], 0) + s
        out.append(max(weights, key=weights.__getitem__))
    return bytes(out)
