"""The snarkjs command line (npm ``snarkjs``), for tests and benchmarks.

Every function runs ``node <checkout>/node_modules/snarkjs/build/cli.cjs <command>`` with a
timeout. snarkjs's exit codes alone do not say what happened, so its log is read too:

* an exception exits 1 (``[ERROR] snarkJS: Error: ...``), and so do an invalid proof and a
  witness that breaks a constraint, which are answers rather than failures:
  :func:`groth16_verify` and :func:`wtns_check` tell them apart by the messages snarkjs logs;
* ``groth16 setup`` logs some failures (circuit too big for the ptau, ptau not prepared) and
  still exits 0, so any ``[ERROR]`` line is a failure.

Failures raise :class:`SnarkjsError` with one line: the command and snarkjs's own message.

Contributions (``powersoftau contribute``, ``zkey contribute``) get a fixed ``-e`` entropy
text only so that snarkjs does not prompt for one: snarkjs hashes it together with 64 bytes
from the system's random generator, so keys are still random (and made for testing: one
local contributor is not a ceremony).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from protocol.errors import ConfigError, ProofError
from protocol.processes import search_folders

logger = logging.getLogger(__name__)

#: Mixed with system randomness by snarkjs; it only keeps snarkjs from asking for entropy.
ENTROPY_TEXT = "MemJit local contribution"
CONTRIBUTOR = "memjit"
#: Environment variable overriding :func:`default_ptau_dir`.
PTAU_DIR_ENV = "MEMJIT_PTAU_DIR"

DEFAULT_TIMEOUT_S = 120.0
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
#: What ``groth16 verify`` logs when it answers "no" (exit code 1 either way).
_VERIFY_REJECTIONS = (
    "Invalid proof",
    "Public inputs are not valid.",
    "Proof commitments are not valid.",
)


class SnarkjsError(ProofError):
    """A snarkjs command failed, timed out, or produced no output file."""


def default_ptau_dir() -> Path:
    """Where :func:`powers_of_tau` caches its files: ``$MEMJIT_PTAU_DIR``, else
    ``~/.cache/memjit/ptau``.

    A powers-of-tau file is generated locally, once per power, and never downloaded: MemJit
    works offline, and a file from elsewhere would have to be trusted or verified (which
    costs as much as making one at the sizes we use). Generation takes long enough (minutes
    at 2^12, mostly ``prepare phase2``) that a cache shared by every run on the machine is
    worth it; the files do not depend on the checkout.
    """
    explicit = os.environ.get(PTAU_DIR_ENV)
    if explicit:
        return Path(explicit).expanduser()
    return Path.home() / ".cache" / "memjit" / "ptau"


def find_snarkjs() -> Path:
    """``node_modules/snarkjs/build/cli.cjs`` in the checkout (``npm install`` fetches it)."""
    for folder in search_folders(Path.cwd()):
        cli = folder / "node_modules" / "snarkjs" / "build" / "cli.cjs"
        if cli.is_file():
            return cli
    raise ConfigError("snarkjs not found: run `npm install` in the repository")


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise ConfigError("snarkjs needs Node.js: apt-get install nodejs")
    return node


def _log_lines(output: str) -> list[str]:
    return [_ANSI.sub("", line).strip() for line in output.splitlines() if line.strip()]


def _first_error(lines: list[str]) -> str | None:
    for line in lines:
        if line.startswith("[ERROR]"):
            return line.removeprefix("[ERROR]").strip().removeprefix("snarkJS:").strip()
    return None


def _run(args: list[str], timeout_s: float, check: bool = True) -> tuple[int, list[str]]:
    """Runs one snarkjs command; returns its exit code and log lines (stdout and stderr,
    colours stripped). With ``check``, a non-zero exit or an ``[ERROR]`` line raises."""
    command = [_node(), str(find_snarkjs()), *args]
    logger.debug("running snarkjs %s", " ".join(args))
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise SnarkjsError(f"snarkjs {args[0]} {args[1]} timed out after {timeout_s:g} s") from None
    lines = _log_lines(done.stdout + "\n" + done.stderr)
    if check:
        error = _first_error(lines)
        if done.returncode != 0 or error is not None:
            detail = error or (lines[-1] if lines else "no output")
            raise SnarkjsError(
                f"snarkjs {args[0]} {args[1]} failed (exit {done.returncode}): {detail}"
            )
    return done.returncode, lines


def _require_file(path: Path, what: str) -> None:
    if not path.is_file():
        raise SnarkjsError(f"snarkjs reported success but wrote no {what} at {path}")


def ptau_timeout_s(power: int) -> float:
    """Generous: ``prepare phase2`` doubles with each power (about 10 s at 2^8 here and
    about 2 min at 2^12)."""
    return 60.0 * 2.0 ** max(0, power - 8)


def powers_of_tau(power: int, cache_dir: Path | None = None) -> Path:
    """A prepared (phase 2) powers-of-tau file for circuits of up to ``2^power`` constraints
    (snarkjs needs ``constraints + public inputs < 2^power``): ``<cache_dir>/pot<power>_final.ptau``,
    generated on first use (``powersoftau new``, one ``contribute``, ``prepare phase2``) and
    moved into place atomically, so a half-written file is never reused."""
    if not 1 <= power <= 28:
        raise ValueError(f"power must be between 1 and 28, got {power}")
    folder = default_ptau_dir() if cache_dir is None else Path(cache_dir)
    final = folder / f"pot{power}_final.ptau"
    if final.is_file():
        return final
    folder.mkdir(parents=True, exist_ok=True)
    timeout_s = ptau_timeout_s(power)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=folder, prefix=f".pot{power}-") as work:
        fresh = Path(work) / "pot_0000.ptau"
        contributed = Path(work) / "pot_0001.ptau"
        prepared = Path(work) / "pot_final.ptau"
        _run(["powersoftau", "new", "bn128", str(power), str(fresh)], timeout_s)
        _run(
            [
                "powersoftau",
                "contribute",
                str(fresh),
                str(contributed),
                f"-n={CONTRIBUTOR}",
                f"-e={ENTROPY_TEXT}",
            ],
            timeout_s,
        )
        _run(["powersoftau", "prepare", "phase2", str(contributed), str(prepared)], timeout_s)
        _require_file(prepared, "ptau file")
        os.replace(prepared, final)
    logger.info("generated %s in %.1f s", final, time.perf_counter() - started)
    return final


def groth16_setup(r1cs: Path, ptau: Path, zkey: Path, timeout_s: float = DEFAULT_TIMEOUT_S) -> Path:
    """A proving key for ``r1cs``: ``groth16 setup``, then one ``zkey contribute``.

    The setup alone leaves δ = 1 (the zkey has no contribution); snarkjs proves with such a
    key, but anyone could forge proofs for it, so one contribution follows.
    """
    zkey = Path(zkey)
    with tempfile.TemporaryDirectory(dir=zkey.parent, prefix=f".{zkey.name}-") as work:
        initial = Path(work) / "circuit_0000.zkey"
        contributed = Path(work) / "circuit_0001.zkey"
        _run(["groth16", "setup", str(r1cs), str(ptau), str(initial)], timeout_s)
        _run(
            [
                "zkey",
                "contribute",
                str(initial),
                str(contributed),
                f"-n={CONTRIBUTOR}",
                f"-e={ENTROPY_TEXT}",
            ],
            timeout_s,
        )
        _require_file(contributed, "zkey")
        os.replace(contributed, zkey)
    return zkey


def export_verification_key(
    zkey: Path, out_json: Path, timeout_s: float = DEFAULT_TIMEOUT_S
) -> Path:
    _run(["zkey", "export", "verificationkey", str(zkey), str(out_json)], timeout_s)
    _require_file(Path(out_json), "verification key")
    return Path(out_json)


def groth16_prove(
    zkey: Path,
    wtns: Path,
    proof_json: Path,
    public_json: Path,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> float:
    """Writes ``proof_json`` and ``public_json``; returns the wall-clock seconds the command
    took (Node's start-up included, about 0.3 s here)."""
    started = time.perf_counter()
    _run(["groth16", "prove", str(zkey), str(wtns), str(proof_json), str(public_json)], timeout_s)
    elapsed = time.perf_counter() - started
    _require_file(Path(proof_json), "proof")
    _require_file(Path(public_json), "public signals")
    return elapsed


def groth16_verify(
    vk_json: Path, public_json: Path, proof_json: Path, timeout_s: float = DEFAULT_TIMEOUT_S
) -> bool:
    """True when snarkjs accepts the proof; False when it rejects it (a failed pairing
    check, public signals outside the field, proof points off the curve), as snarkjs's own
    ``verify`` does; unreadable files and other failures raise :class:`SnarkjsError`."""
    code, lines = _run(
        ["groth16", "verify", str(vk_json), str(public_json), str(proof_json)],
        timeout_s,
        check=False,
    )
    error = _first_error(lines)
    if code == 0 and error is None and any(line.endswith("OK!") for line in lines):
        return True
    if code == 1 and error in _VERIFY_REJECTIONS:
        return False
    raise SnarkjsError(f"snarkjs groth16 verify failed (exit {code}): {error or 'no verdict'}")


def wtns_check(r1cs: Path, wtns: Path, timeout_s: float = DEFAULT_TIMEOUT_S) -> bool:
    """True when the witness satisfies every constraint, False when one is broken; files
    snarkjs cannot read raise :class:`SnarkjsError`."""
    code, lines = _run(["wtns", "check", str(r1cs), str(wtns)], timeout_s, check=False)
    error = _first_error(lines)
    if error is None:
        if code == 0 and any(line.endswith("WITNESS IS CORRECT") for line in lines):
            return True
        if code == 1 and any(line.endswith("WITNESS IS NOT CORRECT") for line in lines):
            return False
    raise SnarkjsError(f"snarkjs wtns check failed (exit {code}): {error or 'no verdict'}")


def r1cs_info(r1cs: Path, timeout_s: float = DEFAULT_TIMEOUT_S) -> dict[str, int]:
    """``snarkjs r1cs info``'s counts: ``{"Wires": 16, "Constraints": 15, "Private Inputs": 0,
    "Public Inputs": 2, "Labels": 16, "Outputs": 0}``."""
    _, lines = _run(["r1cs", "info", str(r1cs)], timeout_s)
    counts: dict[str, int] = {}
    for line in lines:
        found = re.search(r"# of ([A-Za-z ]+): (\d+)$", line)
        if found:
            counts[found.group(1)] = int(found.group(2))
    return counts
