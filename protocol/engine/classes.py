"""One selection slot per answer class: a copy of a worker under another CID never plays.

The contract pays nothing to a worker that gives an earlier registrant's answers in the same
round, but only when the two play together. Copies that take turns (K identities of one
model, each explored on its own) would each be paid, and would take the slots of honest
workers. So before selecting, the engine runs every active worker once on a probe: items
drawn like canaries, from this engine's secret generator, that no worker can know. Workers
whose outputs on the probe are identical byte for byte are one answer class, and only the
earliest registrant of a class can be selected.

Why this does not catch honest workers: two independent classifiers agree on a varied digit
with probability about 0.96 at most (the MLP and the logistic regression; a weight-noised MLP
that is 91 % right agrees with the MLP on 0.93), so on a probe of 256 items they are
identical with probability below 0.96²⁵⁶ ≈ 10⁻⁴·⁵. A copier that changes its answers on
random items to look distinct pays for it in accuracy on every item, canaries included.

A worker that fails on the probe (a trap, the fuel or memory limit, a module that cannot be
fetched) forms no class: it plays, fails and is slashed as before. Fingerprints are kept per
CID for the engine's lifetime: a module's behaviour is fixed by its bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from protocol.chain.types import WorkerInfo
from protocol.errors import MemJitError, SandboxError
from protocol.runtime import WorkerRuntime

#: Items in a probe: drawn like canaries, as many as 16 rounds hold.
PROBE_ITEMS = 256


class AnswerClasses:
    """Groups workers by their answers on a secret probe (see the module's docstring)."""

    def __init__(self, runtime: WorkerRuntime, probe_for: Callable[[str], bytes]) -> None:
        self.runtime = runtime
        #: The probe batch of a capability, drawn once.
        self._probe_for = probe_for
        self._probes: dict[str, bytes] = {}
        self._fingerprints: dict[tuple[str, str], bytes | None] = {}

    def fingerprint(self, capability: str, cid: str) -> bytes | None:
        """A digest of the worker's outputs on the capability's probe, or None when it
        fails there."""
        key = (capability, cid)
        if key not in self._fingerprints:
            self._fingerprints[key] = self._measure(capability, cid)
        return self._fingerprints[key]

    def representatives(self, capability: str, workers: Sequence[WorkerInfo]) -> list[WorkerInfo]:
        """``workers`` with each answer class reduced to its earliest registrant."""
        kept: list[WorkerInfo] = []
        seen: set[bytes] = set()
        for worker in sorted(workers, key=lambda w: w.serial):
            digest = self.fingerprint(capability, worker.cid)
            if digest is not None:
                if digest in seen:
                    continue
                seen.add(digest)
            kept.append(worker)
        return kept

    def _measure(self, capability: str, cid: str) -> bytes | None:
        if capability not in self._probes:
            self._probes[capability] = self._probe_for(capability)
        try:
            worker = self.runtime.fetch_module(cid)
            # Straight to the sandbox: a probe is not a use of the worker (usage statistics
            # drive eviction from the cache).
            output = self.runtime.vm.run(worker.module, self._probes[capability]).output
        except (SandboxError, MemJitError):
            return None
        return hashlib.sha256(output).digest()
