"""What a capability means to the engine: the size of an item and where canaries come from.

A worker of a capability maps a batch of items (concatenated) to one answer byte per item.
Each capability has a labelled pool the oracle operator keeps private; canaries are drawn
from it per round.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from oracle.datasets import DIGITS_PIXELS, DIGITS_TASK, LabelledSet, load_digits_test
from protocol.errors import UnknownCapability


@dataclass(frozen=True)
class Task:
    capability: str
    #: Bytes of one input item.
    item_size: int
    #: The labelled pool canaries are drawn from.
    load_pool: Callable[[], LabelledSet]


TASKS: dict[str, Task] = {
    DIGITS_TASK: Task(DIGITS_TASK, DIGITS_PIXELS, load_digits_test),
}


def task_for(capability: str) -> Task:
    try:
        return TASKS[capability]
    except KeyError:
        known = ", ".join(sorted(TASKS))
        raise UnknownCapability(f"unknown capability {capability!r} (known: {known})") from None


def split_items(task: Task, data: bytes) -> list[bytes]:
    """A request's input bytes as items; the length must be a whole number of items."""
    if not data or len(data) % task.item_size:
        raise UnknownCapability(
            f"{task.capability} items are {task.item_size} bytes; got {len(data)} bytes of input"
        )
    return [data[i : i + task.item_size] for i in range(0, len(data), task.item_size)]
