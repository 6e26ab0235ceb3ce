"""Where a round's canaries come from: a labelled pool, redrawn afresh for every round.

A :class:`CanarySource` draws a round's evaluation set: ``count`` distinct pool items, each
varied by a secret random map (:mod:`oracle.variation`), with a fresh salt. No canary is ever
a published item (scikit-learn's digits, the 450 that ship in this package among them) or its
own pool item verbatim: such a drawing is drawn again. An item that cannot be varied into
anything new (a blank image) is passed over for another.

The default source for a task is the pool that ships with the package: public, so only the
variation keeps its canaries new. An operator's private pool (:mod:`oracle.pools`) hides the
items themselves too; it is varied as well unless its file says otherwise.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import cache

from oracle.datasets import (
    DIGITS_TASK,
    TASKS,
    LabelledSet,
    item_digest,
    load_digits_test,
    load_published_digests,
)
from oracle.errors import MalformedInput
from oracle.evaluation import EvaluationSet, draw_canaries
from oracle.field import R
from oracle.variation import DEFAULT_VARIATION, vary_digit

#: A pool holds at least this many times the canaries of a round, so that no item is in more
#: than a quarter of the rounds and a round's draw is no guess.
MIN_POOL_FACTOR = 4
#: Drawings tried for one item before it is passed over.
ATTEMPTS = 16

#: A task's variation: an item and the round's secret generator → a fresh item.
Variation = Callable[[bytes, random.Random], bytes]

#: The variation of each task that has one.
VARIATIONS: dict[str, Variation] = {
    DIGITS_TASK: lambda item, rng: vary_digit(item, rng, DEFAULT_VARIATION),
}


@dataclass(frozen=True)
class CanarySource:
    """A labelled pool and how its items become canaries."""

    pool: LabelledSet
    #: Applied to every canary; None draws the pool's items verbatim (a private pool only).
    variation: Variation | None
    #: Digests (:func:`oracle.datasets.item_digest`) of items no canary may equal.
    published: frozenset[bytes] = field(default=frozenset(), repr=False)
    #: Where the pool came from, for messages: "the shipped pool", a file name.
    origin: str = "a pool"

    def __post_init__(self) -> None:
        task = TASKS.get(self.pool.task)
        if task is not None and self.pool.item_size != task.item_size:
            raise MalformedInput(
                f"{self.origin}: {task.name} items are {task.item_size} bytes, "
                f"not {self.pool.item_size}"
            )
        if self.variation is None:
            for number, item in enumerate(self.pool.inputs):
                if item_digest(item) in self.published:
                    raise MalformedInput(
                        f"{self.origin}: item {number} is published; a pool drawn verbatim "
                        "must hold unpublished items only (or be varied)"
                    )

    @property
    def task(self) -> str:
        return self.pool.task

    def check(self, count: int) -> None:
        """Raises MalformedInput unless the pool is big enough for rounds of ``count``."""
        need = MIN_POOL_FACTOR * count
        if count < 1 or len(self.pool) < need:
            raise MalformedInput(
                f"{self.origin} has {len(self.pool)} items; rounds of {count} canaries need "
                f"at least {need} ({MIN_POOL_FACTOR} × {count})"
            )

    def draw(self, count: int, rng: random.Random | None = None) -> EvaluationSet:
        """A round's ``count`` canaries and a fresh salt, from ``rng`` (default: the
        operating system's secure generator: a predictable draw would reveal the canaries)."""
        self.check(count)
        chooser = rng or secrets.SystemRandom()
        if self.variation is None:
            return draw_canaries(self.pool, count, chooser)
        inputs: list[bytes] = []
        answers = bytearray()
        taken: set[bytes] = set()
        for index in _shuffled(len(self.pool), chooser):
            fresh = self.fresh(self.pool.inputs[index], chooser, taken)
            if fresh is None:
                continue
            taken.add(fresh)
            inputs.append(fresh)
            answers.append(self.pool.labels[index])
            if len(inputs) == count:
                return EvaluationSet(
                    task=self.task,
                    item_size=self.pool.item_size,
                    inputs=tuple(inputs),
                    answers=bytes(answers),
                    salt=chooser.randrange(R),
                )
        raise MalformedInput(
            f"{self.origin} yields only {len(inputs)} new variations, not {count}: "
            "are its items blank?"
        )

    def fresh(
        self, item: bytes, rng: random.Random, taken: AbstractSet[bytes] = frozenset()
    ) -> bytes | None:
        """A drawing of ``item`` (by this source's variation) that is not ``item``, not
        published and not in ``taken``; None if ``ATTEMPTS`` tries found none."""
        if self.variation is None:
            raise MalformedInput(f"{self.origin} is drawn verbatim: it makes no new drawings")
        for _ in range(ATTEMPTS):
            fresh = self.variation(item, rng)
            if fresh != item and fresh not in taken and item_digest(fresh) not in self.published:
                return fresh
        return None


def _shuffled(size: int, rng: random.Random) -> Iterator[int]:
    """0 … size - 1 in random order, shuffled lazily (Fisher–Yates): a draw that needs no
    spare item asks ``rng`` for no more than it takes."""
    order = list(range(size))
    for i in range(size):
        j = rng.randrange(i, size)
        order[i], order[j] = order[j], order[i]
        yield order[i]


@cache
def shipped_canaries(task: str = DIGITS_TASK) -> CanarySource:
    """The default source of ``task``: the pool that ships with the package, varied."""
    if task != DIGITS_TASK:
        raise MalformedInput(f"no pool ships for task {task!r}")
    return CanarySource(
        pool=load_digits_test(),
        variation=VARIATIONS[task],
        published=load_published_digests(task),
        origin="the shipped digits-8x8 pool",
    )
