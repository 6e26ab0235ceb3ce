"""The exception tree drawn in protocol/errors.py stays true: every error class MemJit raises
is in it, under its parent."""

from __future__ import annotations

import re

import protocol.errors
import protocol.swarm.streams
import protocol.testing.snarkjs_cli
from protocol.errors import MemJitError


def subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *subclasses(sub)]
    return found


def drawn_tree() -> dict[str, str]:
    """class name → its parent's name, read off the docstring's drawing (four columns a
    level, the root at column 4)."""
    parents: dict[str, str] = {}
    stack: list[str] = []
    for line in (protocol.errors.__doc__ or "").splitlines():
        match = re.match(r"^ {4}((?:[│ ]   )*)(?:[├└]── )?([A-Z][A-Za-z]+)\b", line)
        if match is None:
            continue
        depth = len(match.group(1)) // 4 + (1 if "──" in line[: match.start(2)] else 0)
        del stack[depth:]
        if stack:
            parents[match.group(2)] = stack[-1]
        stack.append(match.group(2))
    return parents


def test_every_error_class_is_drawn_under_its_parent():
    drawn = drawn_tree()
    actual = {cls.__name__: cls.__mro__[1].__name__ for cls in subclasses(MemJitError)}
    assert len(actual) > 30
    assert drawn == actual
