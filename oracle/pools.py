"""An operator's private canary pool on disk: ``memjit-pool/1``.

A JSON document (readable, and written by any tool)::

    {
      "format": "memjit-pool/1",
      "task": "digits-8x8",
      "vary": true,
      "inputs": ["00000c0f0a000000…", …],   one hex string per item (64 bytes for digits-8x8)
      "labels": [3, …]                       one answer per item (0–9 for digits-8x8)
    }

``vary`` is optional and true by default: every canary is then a fresh drawing of a pool item
(:mod:`oracle.variation`). A round publishes its canaries' inputs, so an unvaried pool shows
its items to the workers, round after round; set ``"vary": false`` only for items that stay
unseen because the pool is replaced faster than rounds repeat them. An unvaried pool may hold
no published item.

Keep the file private, like a key: it holds the answers. Every error names the file and the
cause in one line (:class:`oracle.errors.MalformedInput`). How many items a pool needs depends
on the canaries per round: at least :data:`oracle.canaries.MIN_POOL_FACTOR` times as many,
checked when a source is first used for a round's size (:meth:`CanarySource.check`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from oracle.canaries import VARIATIONS, CanarySource
from oracle.datasets import LabelledSet, load_published_digests, task_for
from oracle.errors import MalformedInput
from oracle.files import write_atomic
from oracle.scoring import NO_ANSWER

FORMAT = "memjit-pool/1"


def read_pool(path: Path) -> CanarySource:
    """The canary source of the pool file at ``path``."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MalformedInput(f"{path}: cannot read the pool ({exc.strerror or exc})") from exc
    return parse_pool(data, str(path))


def parse_pool(data: bytes, name: str = "pool") -> CanarySource:
    """The canary source of a ``memjit-pool/1`` document; ``name`` prefixes error messages."""
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedInput(f"{name}: not JSON ({exc})") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise MalformedInput(f"{name}: not a pool file (expected format {FORMAT!r})")
    unknown = set(document) - {"format", "task", "vary", "inputs", "labels"}
    if unknown:
        raise MalformedInput(f"{name}: unknown key(s) {', '.join(sorted(unknown))}")
    try:
        task = task_for(str(document.get("task")))
    except MalformedInput as exc:
        raise MalformedInput(f"{name}: {exc}") from None
    vary = document.get("vary", True)
    if not isinstance(vary, bool):
        raise MalformedInput(f"{name}: vary must be true or false, got {vary!r}")
    inputs = _inputs(document.get("inputs"), task.item_size, task.max_value, name)
    labels = _labels(document.get("labels"), len(inputs), task.classes, name)
    pool = LabelledSet(task.name, task.item_size, tuple(inputs), bytes(labels))
    variation = VARIATIONS.get(task.name) if vary else None
    if vary and variation is None:
        raise MalformedInput(f"{name}: task {task.name} has no variation; set vary to false")
    return CanarySource(pool, variation, load_published_digests(task.name), origin=name)


def _inputs(raw: Any, size: int, max_value: int, name: str) -> list[bytes]:
    if not isinstance(raw, list) or not raw:
        raise MalformedInput(f"{name}: inputs must be a non-empty list of hex strings")
    items = []
    for number, text in enumerate(raw):
        try:
            item = bytes.fromhex(text)
        except (TypeError, ValueError):
            raise MalformedInput(f"{name}: input {number} is not a hex string") from None
        if len(item) != size:
            raise MalformedInput(f"{name}: input {number} is {len(item)} bytes, not {size}")
        if max(item) > max_value:
            raise MalformedInput(
                f"{name}: input {number} has a byte of {max(item)}; the task's bytes are 0–{max_value}"
            )
        items.append(item)
    return items


def _labels(raw: Any, count: int, classes: int, name: str) -> list[int]:
    if not isinstance(raw, list) or len(raw) != count:
        got = f"{len(raw)} labels" if isinstance(raw, list) else "no list of labels"
        raise MalformedInput(f"{name}: {count} inputs but {got}")
    for number, label in enumerate(raw):
        if isinstance(label, bool) or not isinstance(label, int):
            raise MalformedInput(f"{name}: label {number} is {label!r}, not a whole number")
        if label == NO_ANSWER:
            raise MalformedInput(
                f"{name}: label {number} is {NO_ANSWER:#x}, the byte reserved for 'no answer'"
            )
        if not 0 <= label < classes:
            raise MalformedInput(
                f"{name}: label {number} is {label}; the task's are 0–{classes - 1}"
            )
    return raw


def pool_to_json(items: LabelledSet, vary: bool = True) -> dict[str, Any]:
    """``items`` as a ``memjit-pool/1`` document."""
    return {
        "format": FORMAT,
        "task": items.task,
        "vary": vary,
        "inputs": [item.hex() for item in items.inputs],
        "labels": list(items.labels),
    }


def write_pool(path: Path, items: LabelledSet, vary: bool = True) -> None:
    """Writes ``items`` to ``path`` as a pool file, private (mode 0600)."""
    write_atomic(path, (json.dumps(pool_to_json(items, vary)) + "\n").encode())
