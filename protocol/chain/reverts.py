"""Decoding revert data into the custom error's name and arguments."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from eth_abi.abi import decode
from eth_abi.exceptions import DecodingError
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from protocol.artifacts import abi_type, all_abis
from protocol.chain.types import RoundStatus, WorkerStatus, solidity_label
from protocol.errors import ContractReverted

_PANICS = {
    0x01: "assertion failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division by zero",
    0x21: "invalid enum value",
    0x32: "array index out of bounds",
    0x41: "out of memory",
}


#: name, argument types, argument names, argument internal types (e.g. "enum WorkerStatus")
ErrorSpec = tuple[str, list[str], list[str], list[str]]

#: Enums of our contracts, to show revert arguments by name (``Active``, not ``1``).
_ENUMS: dict[str, tuple[str, ...]] = {
    f"enum {enum.__name__}": tuple(solidity_label(member) for member in enum)
    for enum in (WorkerStatus, RoundStatus)
}


def error_table(abis: Iterable[list[dict[str, Any]]]) -> dict[bytes, ErrorSpec]:
    """selector → (name, argument types, argument names) for every error in ``abis``."""
    table: dict[bytes, ErrorSpec] = {
        keccak(text="Error(string)")[:4]: ("Error", ["string"], ["message"], ["string"]),
        keccak(text="Panic(uint256)")[:4]: ("Panic", ["uint256"], ["code"], ["uint256"]),
    }
    for abi in abis:
        for item in abi:
            if item.get("type") != "error":
                continue
            types = [abi_type(p) for p in item["inputs"]]
            selector = keccak(text=f"{item['name']}({','.join(types)})")[:4]
            names = [p["name"] or f"arg{i}" for i, p in enumerate(item["inputs"])]
            internal = [p.get("internalType", p["type"]) for p in item["inputs"]]
            table[selector] = (item["name"], types, names, internal)
    return table


@cache
def _default_table() -> dict[bytes, ErrorSpec]:
    return error_table(all_abis())


def decode_revert(
    data: bytes | str | None, extra_abis: Iterable[list[dict[str, Any]]] = ()
) -> ContractReverted:
    """A :class:`ContractReverted` for revert ``data`` (hex or bytes)."""
    raw = _as_bytes(data)
    table = dict(_default_table())
    extra = list(extra_abis)
    if extra:
        table.update(error_table(extra))
    spec = table.get(raw[:4]) if len(raw) >= 4 else None
    if spec is None:
        return ContractReverted(None, {}, raw)
    name, types, names, internal = spec
    try:
        values = decode(types, raw[4:])
    except (DecodingError, OverflowError, ValueError):
        return ContractReverted(None, {}, raw)
    args = {
        key: _readable(value, kind)
        for key, value, kind in zip(names, values, internal, strict=True)
    }
    if name == "Panic":
        code = int(args["code"])
        args = {"code": f"0x{code:02x} ({_PANICS.get(code, 'unknown panic')})"}
    return ContractReverted(name, args, raw)


def _readable(value: Any, internal_type: str) -> Any:
    labels = _ENUMS.get(internal_type)
    if labels is not None and isinstance(value, int) and value < len(labels):
        return labels[value]
    if internal_type == "address" and isinstance(value, str):
        return to_checksum_address(value)
    return value


def _as_bytes(data: bytes | str | None) -> bytes:
    if data is None:
        return b""
    if isinstance(data, bytes | bytearray):
        return bytes(data)
    text = data[2:] if data.startswith("0x") else data
    try:
        return bytes.fromhex(text)
    except ValueError:
        return b""
