"""The tasks the oracle knows, and the data shipped for them (read-only package data).

``digits-8x8``: 8×8 images, 64 pixel counts (0–16, row-major) per item, answered with the
digit (0–9). Two files, both written by ``workers/digits/train.py`` (run it to regenerate):

* ``data/digits-8x8-test.bin``: the 450 held-out items of scikit-learn's 8×8 digits that the
  example workers never saw in training, 65 bytes per item: the 64 pixels, then the label.
* ``data/digits-8x8-published.bin``: a digest of every published item, scikit-learn's 1,797
  (the 450 among them), so that no canary repeats one (:mod:`oracle.canaries`). A text line
  (the format, what it holds and how it was made), then 8-byte digests (the first 8 bytes of
  each item's SHA-256), sorted. The data itself does not ship: it is scikit-learn's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from oracle.errors import MalformedInput

DIGITS_TASK = "digits-8x8"
DIGITS_PIXELS = 64
DIGESTS_FORMAT = b"memjit-digests/1"
DIGEST_SIZE = 8


@dataclass(frozen=True)
class Task:
    """What the items and answers of a task look like."""

    name: str
    #: Bytes of one item.
    item_size: int
    #: The largest value an item's byte may take.
    max_value: int
    #: Answers are 0 .. classes - 1.
    classes: int


#: The tasks the oracle knows, by name.
TASKS = {DIGITS_TASK: Task(DIGITS_TASK, DIGITS_PIXELS, max_value=16, classes=10)}


def task_for(name: str) -> Task:
    try:
        return TASKS[name]
    except KeyError:
        raise MalformedInput(f"unknown task {name!r} (known: {', '.join(sorted(TASKS))})") from None


@dataclass(frozen=True)
class LabelledSet:
    """Items of one task and their answers: a worker maps ``batch()`` to ``labels``."""

    task: str
    item_size: int
    inputs: tuple[bytes, ...]
    labels: bytes

    def __len__(self) -> int:
        return len(self.inputs)

    def batch(self) -> bytes:
        """Every item, concatenated: one worker input."""
        return b"".join(self.inputs)


@cache
def load_digits_test() -> LabelledSet:
    """The ``digits-8x8`` held-out set (450 items), read once per process (it is immutable)."""
    blob = resources.files("oracle").joinpath("data/digits-8x8-test.bin").read_bytes()
    stride = DIGITS_PIXELS + 1
    if len(blob) % stride:
        raise ValueError(f"digits test set is {len(blob)} bytes, not a multiple of {stride}")
    items = [blob[i : i + stride] for i in range(0, len(blob), stride)]
    return LabelledSet(
        task=DIGITS_TASK,
        item_size=DIGITS_PIXELS,
        inputs=tuple(item[:DIGITS_PIXELS] for item in items),
        labels=bytes(item[DIGITS_PIXELS] for item in items),
    )


def item_digest(item: bytes) -> bytes:
    """The first 8 bytes of the item's SHA-256: how published items are listed."""
    return hashlib.sha256(item).digest()[:DIGEST_SIZE]


def encode_digests(items: list[bytes], description: str) -> bytes:
    """A published-items file: the format and ``description`` on one line, then the sorted
    digests of ``items``."""
    if "\n" in description:
        raise ValueError("the description is one line")
    header = DIGESTS_FORMAT + b" " + description.encode() + b"\n"
    return header + b"".join(sorted({item_digest(item) for item in items}))


def decode_digests(blob: bytes) -> frozenset[bytes]:
    """The digests of a published-items file (see :func:`encode_digests`)."""
    header, newline, body = blob.partition(b"\n")
    if not newline or not header.startswith(DIGESTS_FORMAT) or len(body) % DIGEST_SIZE:
        raise MalformedInput(f"not a {DIGESTS_FORMAT.decode()} file")
    return frozenset(body[i : i + DIGEST_SIZE] for i in range(0, len(body), DIGEST_SIZE))


@cache
def load_published_digests(task: str) -> frozenset[bytes]:
    """The digests of every published item of ``task`` (none for a task without a list)."""
    path = resources.files("oracle").joinpath(f"data/{task}-published.bin")
    return decode_digests(path.read_bytes()) if path.is_file() else frozenset()
