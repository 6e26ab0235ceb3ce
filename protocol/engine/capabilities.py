"""What a capability means to the engine: the size of an item and where canaries come from.

A worker of a capability maps a batch of items (concatenated) to one answer byte per item.
Each capability has a default canary source: the pool that ships with the package, every
canary a fresh, secret variation of one of its items (:mod:`oracle.canaries`). An operator's
private pool (``canary_pool``) takes its place for its task.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from oracle.canaries import CanarySource, shipped_canaries
from oracle.datasets import DIGITS_PIXELS, DIGITS_TASK
from protocol.errors import UnknownCapability


@dataclass(frozen=True)
class Capability:
    name: str
    #: Bytes of one input item.
    item_size: int
    #: Where canaries come from unless the operator names a private pool.
    default_canaries: Callable[[], CanarySource]


#: The capabilities this node knows, by name.
CAPABILITIES: dict[str, Capability] = {
    DIGITS_TASK: Capability(DIGITS_TASK, DIGITS_PIXELS, lambda: shipped_canaries(DIGITS_TASK)),
}


def capability_for(name: str) -> Capability:
    try:
        return CAPABILITIES[name]
    except KeyError:
        known = ", ".join(sorted(CAPABILITIES))
        raise UnknownCapability(f"unknown capability {name!r} (known: {known})") from None


def split_items(capability: Capability, data: bytes) -> list[bytes]:
    """A request's input bytes as items; the length must be a whole number of items."""
    size = capability.item_size
    if not data or len(data) % size:
        raise UnknownCapability(
            f"{capability.name} items are {size} bytes; got {len(data)} bytes of input"
        )
    return [data[i : i + size] for i in range(0, len(data), size)]
