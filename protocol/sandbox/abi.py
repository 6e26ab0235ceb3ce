"""The worker ABI: what a module must export and may import. docs/worker-abi.md is the
reader's version; this module is the one the sandbox enforces.

A worker exports exactly:

* ``memory`` — its linear memory (32-bit, not shared);
* ``alloc(size: i32) -> i32`` — the address of ``size`` fresh writable bytes;
* ``run(ptr: i32, len: i32) -> i64`` — reads the input at ``[ptr, ptr+len)`` and returns the
  output's place packed as ``(out_ptr << 32) | out_len`` (both unsigned 32-bit).

It imports nothing unless the node allow-lists it; the only host function that exists is
``memjit.log(ptr: i32, len: i32)``, which records a UTF-8 debug line.
"""

from __future__ import annotations

from collections.abc import Iterable

import wasmtime

from protocol.errors import ForbiddenImport, InvalidModule

MEMORY = "memory"
ALLOC = "alloc"
RUN = "run"

_I32 = wasmtime.ValType.i32()
_I64 = wasmtime.ValType.i64()
_FUNCS: dict[str, tuple[list[wasmtime.ValType], list[wasmtime.ValType]]] = {
    ALLOC: ([_I32], [_I32]),
    RUN: ([_I32, _I32], [_I64]),
}

#: Host functions a node may allow-list, by ``module.name``, with their signatures.
HOST_FUNCTIONS: dict[str, tuple[list[wasmtime.ValType], list[wasmtime.ValType]]] = {
    "memjit.log": ([_I32, _I32], []),
}

_U32 = 0xFFFF_FFFF


def check_exports(module: wasmtime.Module) -> None:
    """Raise :class:`InvalidModule` unless ``module`` exports the ABI with the right types."""
    exports = {export.name: export.type for export in module.exports}
    memory = exports.get(MEMORY)
    if not isinstance(memory, wasmtime.MemoryType):
        raise InvalidModule(f"the module does not export its linear memory as {MEMORY!r}")
    if memory.is_64 or memory.is_shared:
        raise InvalidModule(f"{MEMORY!r} must be a 32-bit, unshared memory")
    for name, (params, results) in _FUNCS.items():
        kind = exports.get(name)
        if not isinstance(kind, wasmtime.FuncType):
            raise InvalidModule(f"the module does not export the function {name!r}")
        if kind.params != params or kind.results != results:
            raise InvalidModule(
                f"{name!r} has type {_show(kind.params, kind.results)}, "
                f"the ABI wants {_show(params, results)}"
            )


def check_imports(module: wasmtime.Module, allowed: Iterable[str]) -> None:
    """Raise :class:`ForbiddenImport` for the first import not in ``allowed`` (or not a host
    function with the right type)."""
    allowed = frozenset(allowed)
    for imported in module.imports:
        key = f"{imported.module}.{imported.name}"
        if key not in allowed or key not in HOST_FUNCTIONS:
            listed = ", ".join(sorted(allowed)) or "none"
            raise ForbiddenImport(
                f"the module imports {key}, which is not allowed (allowed: {listed})"
            )
        params, results = HOST_FUNCTIONS[key]
        kind = imported.type
        if not isinstance(kind, wasmtime.FuncType) or (kind.params, kind.results) != (
            params,
            results,
        ):
            raise ForbiddenImport(f"the module imports {key} with the wrong type")


def unpack_output(packed: int) -> tuple[int, int]:
    """``run``'s i64 result → ``(out_ptr, out_len)``."""
    packed &= (1 << 64) - 1
    return packed >> 32, packed & _U32


def _show(params: list[wasmtime.ValType], results: list[wasmtime.ValType]) -> str:
    return f"({', '.join(map(str, params))}) -> ({', '.join(map(str, results))})"
