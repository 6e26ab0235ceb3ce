"""snarkjs's file formats, read strictly and written exactly as snarkjs writes them.

JSON (``snarkjs groth16 prove`` / ``zkey export verificationkey``):

* proof: ``{pi_a: [x, y, "1"], pi_b: [[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]],
  pi_c: [x, y, "1"], protocol: "groth16", curve: "bn128"}``;
* public signals: a list of decimal strings, each below ``R``;
* verification key: ``{protocol, curve, nPublic, vk_alpha_1, vk_beta_2, vk_gamma_2,
  vk_delta_2, IC}``. snarkjs also writes ``vk_alphabeta_12`` (the pairing e(α, β)); neither
  its verifier nor its Solidity template reads it, and computing it costs a pairing, so we
  accept it when reading and never write it.

Points are affine (``z = 1``); the point at infinity is ``["0", "1", "0"]`` in G1 and
``[["0", "0"], ["1", "0"], ["0", "0"]]`` in G2, ffjavascript's ``toObject`` form, and
:data:`oracle.keys.G1_ZERO` / :data:`~oracle.keys.G2_ZERO` here. Any other ``z`` is rejected:
ffjavascript's projective coordinates are Jacobian, and snarkjs never writes them to JSON.

Binary (iden3's ``binfileutils`` container: 4-byte magic, ``u32`` version, ``u32`` section
count, then sections ``u32 type, u64 size, bytes``; integers little-endian):

* ``.r1cs`` version 1: section 1 header (``n8 = 32``, the prime ``R``, nWires, nPubOut, nPubIn,
  nPrvIn, ``u64`` nLabels, mConstraints), section 2 constraints (per linear combination a
  ``u32`` count, then ``u32`` wire and ``n8``-byte coefficient pairs), section 3 the wire →
  label id map (``u64`` per wire);
* ``.wtns`` version 2: section 1 header (``n8``, prime, nWitness), section 2 the values.

Coefficients and witness values are plain little-endian integers, not Montgomery form:
r1csfile's ``readConstraints`` and snarkjs's ``wtns check`` read them with ffjavascript's
``F.fromRprLE``, which converts a plain value *into* Montgomery form in memory, and
r1csfile's writer uses ``F.toRprLE``, which converts back out.

Every problem with the input raises :class:`oracle.errors.MalformedInput` with one line
naming what is wrong.
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from oracle.curve import in_g2, on_curve_g1, on_twist
from oracle.errors import MalformedInput
from oracle.field import FIELD_BYTES, Q, R
from oracle.files import PUBLIC_MODE, write_atomic
from oracle.keys import G1, G1_ZERO, G2, G2_ZERO, Fq2, Proof, VerifyingKey
from oracle.r1cs import Constraint, ConstraintSystem, Terms

__all__ = [
    "load_json",
    "parse_r1cs",
    "parse_wtns",
    "proof_from_json",
    "proof_to_json",
    "public_from_json",
    "public_to_json",
    "r1cs_bytes",
    "read_r1cs",
    "read_wtns",
    "verifying_key_from_json",
    "verifying_key_to_json",
    "write_json",
    "write_r1cs",
    "write_wtns",
    "wtns_bytes",
]

PROTOCOL = "groth16"
CURVE = "bn128"

_DECIMAL = re.compile(r"0|[1-9][0-9]{0,77}")
_PROOF_KEYS = frozenset({"pi_a", "pi_b", "pi_c", "protocol", "curve"})
_VK_KEYS = frozenset(
    {"protocol", "curve", "nPublic", "vk_alpha_1", "vk_beta_2", "vk_gamma_2", "vk_delta_2", "IC"}
)
#: Keys snarkjs writes that carry nothing we need (derived data); accepted, then ignored.
_VK_IGNORED = frozenset({"vk_alphabeta_12"})


# -- JSON: numbers and points ---------------------------------------------------------------


def _decimal(value: object, where: str, modulus: int) -> int:
    if not isinstance(value, str) or _DECIMAL.fullmatch(value) is None:
        raise MalformedInput(
            f"{where}: expected a decimal string (no sign, no leading zeros, at most 78 digits), "
            f"got {_show(value)}"
        )
    number = int(value)
    if number >= modulus:
        bound = "Q" if modulus == Q else "R" if modulus == R else str(modulus)
        raise MalformedInput(f"{where}: {value} is not below {bound}")
    return number


def _array(value: object, length: int, where: str) -> list[object]:
    if not isinstance(value, list):
        raise MalformedInput(f"{where}: expected a list of {length}, got {_show(value)}")
    if len(value) != length:
        raise MalformedInput(f"{where}: expected {length} entries, got {len(value)}")
    return value


def _show(value: object) -> str:
    text = (
        json.dumps(value)
        if isinstance(value, str | int | float | bool | None)
        else type(value).__name__
    )
    return text if len(text) <= 40 else text[:37] + "..."


def _g1_from_json(value: object, where: str) -> G1:
    x_raw, y_raw, z_raw = _array(value, 3, where)
    x = _decimal(x_raw, f"{where}[0]", Q)
    y = _decimal(y_raw, f"{where}[1]", Q)
    z = _decimal(z_raw, f"{where}[2]", Q)
    if z == 0:
        if (x, y) != (0, 1):
            raise MalformedInput(f'{where}: the point at infinity must be written ["0", "1", "0"]')
        return G1_ZERO
    if z != 1:
        raise MalformedInput(f'{where}: z must be "1" (affine) or "0" (infinity), got {z}')
    point = (x, y)
    if not on_curve_g1(point):
        raise MalformedInput(f"{where}: ({x}, {y}) is not on BN254's G1 (y² ≠ x³ + 3)")
    return point


def _fq2_from_json(value: object, where: str) -> Fq2:
    c0, c1 = _array(value, 2, where)
    return (_decimal(c0, f"{where}[0]", Q), _decimal(c1, f"{where}[1]", Q))


def _g2_from_json(value: object, where: str) -> G2:
    x_raw, y_raw, z_raw = _array(value, 3, where)
    x = _fq2_from_json(x_raw, f"{where}[0]")
    y = _fq2_from_json(y_raw, f"{where}[1]")
    z = _fq2_from_json(z_raw, f"{where}[2]")
    if z == (0, 0):
        if (x, y) != ((0, 0), (1, 0)):
            raise MalformedInput(
                f"{where}: the point at infinity must be written "
                '[["0", "0"], ["1", "0"], ["0", "0"]]'
            )
        return G2_ZERO
    if z != (1, 0):
        raise MalformedInput(f'{where}: z must be ["1", "0"] (affine) or zero (infinity)')
    point = (x, y)
    if not on_twist(point):
        raise MalformedInput(f"{where}: the point is not on BN254's twist (y² ≠ x³ + 3/(9+i))")
    if not in_g2(point):
        raise MalformedInput(
            f"{where}: the point is on the twist but not in the order-R subgroup G2"
        )
    return point


def _g1_to_json(point: G1) -> list[str]:
    if point == G1_ZERO:
        return ["0", "1", "0"]
    return [str(point[0]), str(point[1]), "1"]


def _g2_to_json(point: G2) -> list[list[str]]:
    if point == G2_ZERO:
        return [["0", "0"], ["1", "0"], ["0", "0"]]
    (x0, x1), (y0, y1) = point
    return [[str(x0), str(x1)], [str(y0), str(y1)], ["1", "0"]]


def _object(
    value: object, where: str, keys: frozenset[str], optional: frozenset[str]
) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedInput(f"{where}: expected a JSON object, got {_show(value)}")
    missing = sorted(keys - value.keys())
    if missing:
        raise MalformedInput(f"{where}: missing key {missing[0]!r}")
    unknown = sorted(str(key) for key in value.keys() - keys - optional)
    if unknown:
        raise MalformedInput(f"{where}: unexpected key {unknown[0]!r}")
    return value


def _expect(value: object, expected: str, where: str) -> None:
    if value != expected:
        raise MalformedInput(f"{where}: expected {expected!r}, got {_show(value)}")


# -- JSON: documents ------------------------------------------------------------------------


def proof_to_json(proof: Proof) -> dict[str, Any]:
    """The proof as ``snarkjs groth16 prove`` writes it (key order included)."""
    return {
        "pi_a": _g1_to_json(proof.a),
        "pi_b": _g2_to_json(proof.b),
        "pi_c": _g1_to_json(proof.c),
        "protocol": PROTOCOL,
        "curve": CURVE,
    }


def proof_from_json(obj: object) -> Proof:
    """A snarkjs proof, every point checked to be in its group."""
    doc = _object(obj, "proof", _PROOF_KEYS, frozenset())
    _expect(doc["protocol"], PROTOCOL, "proof.protocol")
    _expect(doc["curve"], CURVE, "proof.curve")
    return Proof(
        a=_g1_from_json(doc["pi_a"], "proof.pi_a"),
        b=_g2_from_json(doc["pi_b"], "proof.pi_b"),
        c=_g1_from_json(doc["pi_c"], "proof.pi_c"),
    )


def verifying_key_to_json(vk: VerifyingKey) -> dict[str, Any]:
    """The key as ``snarkjs zkey export verificationkey`` writes it, without
    ``vk_alphabeta_12`` (see the module docstring)."""
    return {
        "protocol": PROTOCOL,
        "curve": CURVE,
        "nPublic": vk.n_public,
        "vk_alpha_1": _g1_to_json(vk.alpha),
        "vk_beta_2": _g2_to_json(vk.beta),
        "vk_gamma_2": _g2_to_json(vk.gamma),
        "vk_delta_2": _g2_to_json(vk.delta),
        "IC": [_g1_to_json(point) for point in vk.ic],
    }


def verifying_key_from_json(obj: object) -> VerifyingKey:
    """A snarkjs verification key; ``nPublic`` must match the length of ``IC``."""
    doc = _object(obj, "verification key", _VK_KEYS, _VK_IGNORED)
    _expect(doc["protocol"], PROTOCOL, "verification key.protocol")
    _expect(doc["curve"], CURVE, "verification key.curve")
    n_public = doc["nPublic"]
    if not isinstance(n_public, int) or isinstance(n_public, bool) or n_public < 0:
        raise MalformedInput(f"verification key.nPublic: expected a count, got {_show(n_public)}")
    ic_raw = _array(doc["IC"], n_public + 1, "verification key.IC")
    return VerifyingKey(
        alpha=_g1_from_json(doc["vk_alpha_1"], "verification key.vk_alpha_1"),
        beta=_g2_from_json(doc["vk_beta_2"], "verification key.vk_beta_2"),
        gamma=_g2_from_json(doc["vk_gamma_2"], "verification key.vk_gamma_2"),
        delta=_g2_from_json(doc["vk_delta_2"], "verification key.vk_delta_2"),
        ic=tuple(
            _g1_from_json(point, f"verification key.IC[{i}]") for i, point in enumerate(ic_raw)
        ),
    )


def public_to_json(signals: Sequence[int]) -> list[str]:
    """Public signals as snarkjs's ``public.json``: decimal strings, each in the field."""
    for i, signal in enumerate(signals):
        if not 0 <= signal < R:
            raise MalformedInput(f"public signal {i}: {signal} is not in the field (0 ≤ s < R)")
    return [str(signal) for signal in signals]


def public_from_json(obj: object) -> list[int]:
    if not isinstance(obj, list):
        raise MalformedInput(f"public signals: expected a list, got {_show(obj)}")
    return [_decimal(value, f"public signal {i}", R) for i, value in enumerate(obj)]


def load_json(path: Path) -> object:
    """A JSON file's content; unreadable text raises :class:`MalformedInput`."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedInput(f"{path}: not JSON ({exc})") from None


def write_json(obj: object, path: Path) -> None:
    """Writes ``obj`` as snarkjs does (one-space indent), atomically."""
    write_atomic(Path(path), json.dumps(obj, indent=1).encode(), PUBLIC_MODE)


# -- Binary container -----------------------------------------------------------------------

_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")


def _pack_sections(magic: bytes, version: int, sections: Sequence[tuple[int, bytes]]) -> bytes:
    out = [magic, _U32.pack(version), _U32.pack(len(sections))]
    for kind, body in sections:
        out += [_U32.pack(kind), _U64.pack(len(body)), body]
    return b"".join(out)


def _unpack_sections(data: bytes, magic: bytes, version: int, name: str) -> dict[int, bytes]:
    """Section type → body. Every byte must belong to the header or a section; each type
    appears once."""
    if len(data) < 12:
        raise MalformedInput(f"{name}: {len(data)} bytes, too short for the file header")
    if data[:4] != magic:
        raise MalformedInput(f"{name}: magic is {data[:4]!r}, expected {magic!r}")
    (found_version,) = _U32.unpack_from(data, 4)
    if found_version != version:
        raise MalformedInput(f"{name}: version {found_version}, expected {version}")
    (count,) = _U32.unpack_from(data, 8)
    sections: dict[int, bytes] = {}
    pos = 12
    for _ in range(count):
        if pos + 12 > len(data):
            raise MalformedInput(f"{name}: truncated: section header at byte {pos} is cut off")
        (kind,) = _U32.unpack_from(data, pos)
        (size,) = _U64.unpack_from(data, pos + 4)
        pos += 12
        if pos + size > len(data):
            raise MalformedInput(
                f"{name}: truncated: section {kind} claims {size} bytes, {len(data) - pos} remain"
            )
        if kind in sections:
            raise MalformedInput(f"{name}: section {kind} appears twice")
        sections[kind] = data[pos : pos + size]
        pos += size
    if pos != len(data):
        raise MalformedInput(f"{name}: {len(data) - pos} bytes after the last section")
    return sections


class _Cursor:
    """Reads one section's body, failing with the section's name when it runs out."""

    def __init__(self, body: bytes, where: str) -> None:
        self.body = body
        self.pos = 0
        self.where = where

    def take(self, size: int) -> bytes:
        if self.pos + size > len(self.body):
            raise MalformedInput(f"{self.where}: truncated at byte {self.pos} of {len(self.body)}")
        chunk = self.body[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def u32(self) -> int:
        return int(_U32.unpack(self.take(4))[0])

    def u64(self) -> int:
        return int(_U64.unpack(self.take(8))[0])

    def element(self, what: str) -> int:
        value = int.from_bytes(self.take(FIELD_BYTES), "little")
        if value >= R:
            raise MalformedInput(f"{self.where}: {what} {value} is not below R")
        return value

    def finish(self) -> None:
        if self.pos != len(self.body):
            raise MalformedInput(
                f"{self.where}: {len(self.body) - self.pos} bytes left over after the content"
            )


def _field_header(cursor: _Cursor) -> None:
    n8 = cursor.u32()
    if n8 != FIELD_BYTES:
        raise MalformedInput(f"{cursor.where}: field size {n8} bytes, expected {FIELD_BYTES}")
    prime = int.from_bytes(cursor.take(FIELD_BYTES), "little")
    if prime != R:
        raise MalformedInput(f"{cursor.where}: prime {prime} is not BN254's scalar field R")


def _element_bytes(value: int, what: str) -> bytes:
    if not 0 <= value < R:
        raise MalformedInput(f"{what}: {value} is not in the field (0 ≤ v < R)")
    return value.to_bytes(FIELD_BYTES, "little")


# -- .r1cs ----------------------------------------------------------------------------------

_R1CS_MAGIC = b"r1cs"
_R1CS_VERSION = 1
_R1CS_HEADER, _R1CS_CONSTRAINTS, _R1CS_MAP = 1, 2, 3
_R1CS_CUSTOM_GATES = frozenset({4, 5})


def r1cs_bytes(system: ConstraintSystem) -> bytes:
    """The system as an iden3 ``.r1cs`` file.

    All our public inputs are snarkjs public *inputs* (nPubOut = 0): snarkjs orders public
    signals as outputs then inputs and counts both the same way, so only the total matters.
    nPrvIn is 0 because a :class:`ConstraintSystem` does not tell private inputs from
    intermediate wires; no snarkjs command uses it. Labels are the wire indices (nLabels =
    nWires, the map is the identity): the format stores label ids, not names.
    """
    n_wires = system.n_wires
    if not 1 + system.n_public <= n_wires < 2**32:
        raise MalformedInput(f"r1cs: {n_wires} wires cannot hold {system.n_public} public inputs")
    header = b"".join(
        [
            _U32.pack(FIELD_BYTES),
            R.to_bytes(FIELD_BYTES, "little"),
            _U32.pack(n_wires),
            _U32.pack(0),  # nPubOut
            _U32.pack(system.n_public),  # nPubIn
            _U32.pack(0),  # nPrvIn
            _U64.pack(n_wires),  # nLabels
            _U32.pack(len(system.constraints)),
        ]
    )
    body: list[bytes] = []
    for index, constraint in enumerate(system.constraints):
        for name, terms in (("A", constraint.a), ("B", constraint.b), ("C", constraint.c)):
            body.append(_U32.pack(len(terms)))
            for wire in sorted(terms):
                if not 0 <= wire < n_wires:
                    raise MalformedInput(
                        f"r1cs: constraint {index} {name} uses wire {wire} of {n_wires}"
                    )
                body.append(_U32.pack(wire))
                body.append(
                    _element_bytes(terms[wire], f"r1cs: constraint {index} {name} wire {wire}")
                )
    wire_map = b"".join(_U64.pack(wire) for wire in range(n_wires))
    return _pack_sections(
        _R1CS_MAGIC,
        _R1CS_VERSION,
        [(_R1CS_HEADER, header), (_R1CS_CONSTRAINTS, b"".join(body)), (_R1CS_MAP, wire_map)],
    )


def write_r1cs(system: ConstraintSystem, path: Path) -> None:
    """Writes :func:`r1cs_bytes` to ``path`` atomically."""
    write_atomic(Path(path), r1cs_bytes(system), PUBLIC_MODE)


def parse_r1cs(data: bytes, name: str = "r1cs") -> ConstraintSystem:
    """A ``.r1cs`` file's system. Labels are ``"one"`` for wire 0 and ``"w<label id>"`` for the
    others; zero coefficients are dropped. Custom gates (PLONK only) are refused."""
    sections = _unpack_sections(data, _R1CS_MAGIC, _R1CS_VERSION, name)
    custom = sorted(_R1CS_CUSTOM_GATES & sections.keys())
    if custom:
        raise MalformedInput(f"{name}: custom gates (section {custom[0]}) are not supported")
    for kind in (_R1CS_HEADER, _R1CS_CONSTRAINTS, _R1CS_MAP):
        if kind not in sections:
            raise MalformedInput(f"{name}: missing section {kind}")
    unknown = sorted(sections.keys() - {_R1CS_HEADER, _R1CS_CONSTRAINTS, _R1CS_MAP})
    if unknown:
        raise MalformedInput(f"{name}: unknown section {unknown[0]}")

    header = _Cursor(sections[_R1CS_HEADER], f"{name}: header")
    _field_header(header)
    n_wires, n_pub_out, n_pub_in, n_prv_in = (header.u32() for _ in range(4))
    n_labels = header.u64()
    n_constraints = header.u32()
    header.finish()
    n_public = n_pub_out + n_pub_in
    if n_wires < 1 + n_public + n_prv_in:
        raise MalformedInput(
            f"{name}: header: {n_wires} wires cannot hold the constant, {n_public} public "
            f"and {n_prv_in} private inputs"
        )

    body = _Cursor(sections[_R1CS_CONSTRAINTS], f"{name}: constraints")
    constraints = []
    for index in range(n_constraints):
        a, b, c = (_read_terms(body, n_wires, f"constraint {index} {lc}") for lc in "ABC")
        constraints.append(Constraint(a, b, c))
    body.finish()

    wire_map = _Cursor(sections[_R1CS_MAP], f"{name}: wire map")
    labels = []
    for wire in range(n_wires):
        label_id = wire_map.u64()
        if label_id >= n_labels:
            raise MalformedInput(
                f"{name}: wire map: wire {wire} has label {label_id} of {n_labels}"
            )
        labels.append("one" if wire == 0 else f"w{label_id}")
    wire_map.finish()
    return ConstraintSystem(
        n_wires=n_wires, n_public=n_public, constraints=tuple(constraints), labels=tuple(labels)
    )


def _read_terms(cursor: _Cursor, n_wires: int, where: str) -> Terms:
    terms: Terms = {}
    seen: set[int] = set()
    for _ in range(cursor.u32()):
        wire = cursor.u32()
        if wire >= n_wires:
            raise MalformedInput(f"{cursor.where}: {where} uses wire {wire} of {n_wires}")
        if wire in seen:
            raise MalformedInput(f"{cursor.where}: {where} lists wire {wire} twice")
        seen.add(wire)
        coeff = cursor.element(f"{where} coefficient")
        if coeff:
            terms[wire] = coeff
    return terms


def read_r1cs(path: Path) -> ConstraintSystem:
    return parse_r1cs(_read(path), str(path))


# -- .wtns ----------------------------------------------------------------------------------

_WTNS_MAGIC = b"wtns"
_WTNS_VERSION = 2
_WTNS_HEADER, _WTNS_VALUES = 1, 2


def wtns_bytes(witness: Sequence[int]) -> bytes:
    """The witness as a ``.wtns`` file (every value must be in the field)."""
    if len(witness) >= 2**32:
        raise MalformedInput(f"wtns: {len(witness)} values do not fit the format")
    header = _U32.pack(FIELD_BYTES) + R.to_bytes(FIELD_BYTES, "little") + _U32.pack(len(witness))
    values = b"".join(_element_bytes(value, f"wtns: value {i}") for i, value in enumerate(witness))
    return _pack_sections(
        _WTNS_MAGIC, _WTNS_VERSION, [(_WTNS_HEADER, header), (_WTNS_VALUES, values)]
    )


def write_wtns(witness: Sequence[int], path: Path) -> None:
    """Writes :func:`wtns_bytes` to ``path`` atomically."""
    write_atomic(Path(path), wtns_bytes(witness), PUBLIC_MODE)


def parse_wtns(data: bytes, name: str = "wtns") -> list[int]:
    sections = _unpack_sections(data, _WTNS_MAGIC, _WTNS_VERSION, name)
    if sections.keys() != {_WTNS_HEADER, _WTNS_VALUES}:
        raise MalformedInput(f"{name}: sections {sorted(sections)}, expected [1, 2]")
    header = _Cursor(sections[_WTNS_HEADER], f"{name}: header")
    _field_header(header)
    count = header.u32()
    header.finish()
    values = _Cursor(sections[_WTNS_VALUES], f"{name}: values")
    if len(values.body) != count * FIELD_BYTES:
        raise MalformedInput(
            f"{name}: values: {len(values.body)} bytes for {count} values of {FIELD_BYTES} bytes"
        )
    return [values.element(f"value {i}") for i in range(count)]


def read_wtns(path: Path) -> list[int]:
    return parse_wtns(_read(path), str(path))


def _read(path: Path) -> bytes:
    return Path(path).read_bytes()
