"""Compile on demand: worker sources → WebAssembly binaries.

* ``.wat`` — WebAssembly text, always (wasmtime's own parser);
* ``.c`` — C, where Debian's clang + lld for wasm32 are installed (``clang``, ``lld``,
  ``libclang-rt-14-dev-wasm32``; ``wasi-libc`` adds a libc with ``malloc``);
* ``.json`` — trained dense-network weights (:mod:`protocol.toolchain.dense`);
* ``.wasm`` — already built; passed through.

The C source defines the ABI's ``alloc`` and ``run`` (docs/worker-abi.md); the build exports
exactly those and ``memory``. Anything that ends up importing from the host is refused later
by the sandbox, like any other module.
"""

from __future__ import annotations

import glob
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Literal

import wasmtime

from protocol.errors import BuildError
from protocol.toolchain.dense import build_dense_worker, model_from_json

SourceKind = Literal["wasm", "wat", "c", "dense"]

_SUFFIXES: dict[str, SourceKind] = {
    ".wasm": "wasm",
    ".wat": "wat",
    ".wast": "wat",
    ".c": "c",
    ".json": "dense",
}
_CLANG_TIMEOUT_S = 120
_CLANGS = ("clang", "clang-19", "clang-18", "clang-17", "clang-16", "clang-15", "clang-14")


def source_kind(path: Path) -> SourceKind:
    kind = _SUFFIXES.get(path.suffix.lower())
    if kind is None:
        known = ", ".join(sorted(_SUFFIXES))
        raise BuildError(f"{path}: unknown source type {path.suffix!r} (use one of {known})")
    return kind


def build_file(path: Path) -> bytes:
    """Build the worker module for a source file (its kind is read off the suffix)."""
    kind = source_kind(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BuildError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return build_source(data, kind, name=str(path))


def build_source(source: bytes, kind: SourceKind, name: str = "source") -> bytes:
    """Build a worker module from source carried in memory (a request may carry WAT, C or
    weights instead of a CID)."""
    if kind == "wasm":
        return source
    if kind == "dense":
        return build_dense_worker(model_from_json(source, source=name))
    try:
        text = source.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BuildError(f"{name}: source is not UTF-8 text") from exc
    return compile_wat(text) if kind == "wat" else compile_c(text)


def compile_wat(text: str) -> bytes:
    """WebAssembly text → binary; :class:`BuildError` quotes the parser's complaint."""
    try:
        return bytes(wasmtime.wat2wasm(text))
    except wasmtime.WasmtimeError as exc:
        raise BuildError(f"WAT does not parse: {_first_lines(str(exc))}") from exc


def find_c_toolchain() -> tuple[str, str | None, str | None]:
    """(clang, compiler-rt builtins for wasm32 or None, wasi sysroot or None); BuildError
    says what to install when clang or lld is missing."""
    clang = next((found for name in _CLANGS if (found := shutil.which(name))), None)
    if clang is None or shutil.which("wasm-ld") is None:
        raise BuildError(
            "compiling C needs clang and lld for wasm32: "
            "apt-get install clang lld libclang-rt-14-dev-wasm32 wasi-libc"
        )
    builtins = sorted(
        glob.glob("/usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a")
    )
    sysroot = "/usr" if Path("/usr/lib/wasm32-wasi/libc.a").is_file() else None
    return clang, (builtins[-1] if builtins else None), sysroot


def compile_c(source: str) -> bytes:
    """C → a worker module with clang (wasm32, -O2, no entry point)."""
    clang, builtins, sysroot = find_c_toolchain()
    with tempfile.TemporaryDirectory(prefix="memjit-cc-") as tmp:
        src, out = Path(tmp) / "worker.c", Path(tmp) / "worker.wasm"
        src.write_text(source, encoding="utf-8")
        target = (
            ["--target=wasm32-wasi", f"--sysroot={sysroot}"]
            if sysroot
            else ["--target=wasm32", "-nostdlib"]
        )
        command = [
            clang,
            *target,
            "-O2",
            "-nostartfiles",
            "-Wl,--no-entry",
            "-Wl,--export=alloc",
            "-Wl,--export=run",
            "-Wl,--gc-sections",
            "-Wl,--strip-all",
            "-o",
            str(out),
            str(src),
            *([builtins] if builtins else []),
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=_CLANG_TIMEOUT_S, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise BuildError(f"clang did not finish in {_CLANG_TIMEOUT_S} s") from exc
        if done.returncode != 0:
            raise BuildError(
                f"clang failed: {_first_lines(done.stderr.replace(str(src), 'worker.c'))}"
            )
        return out.read_bytes()


def _first_lines(text: str, count: int = 2) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " | ".join(lines[:count]) or "no details"
