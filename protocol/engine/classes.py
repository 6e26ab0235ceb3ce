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

A class also has a memory. Every member seen is kept with its latest record (refreshed from
the node's index before each selection), and a new identity of a known model plays with what
the class has shown: its members' scored rounds and strikes summed, their usefulness averaged.
So exiting and registering again resets neither exploration, nor the prior, nor the strikes.
A class with a terminated member, or whose identities together hold three strikes, is barred
for good. The memory lives as long
as the engine: a restarted node draws a new probe and learns the classes again, at the price
of exploring a returning model once more.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from protocol.chain.types import WorkerInfo
from protocol.errors import MemJitError, SandboxError
from protocol.runtime import WorkerRuntime

#: Items in a probe: drawn like canaries, as many as 16 rounds hold.
PROBE_ITEMS = 256

#: Share of the probe two workers must answer alike to count as near-copies: above any two
#: independent classifiers here (the closest pair, the MLP and the logistic regression,
#: agree on 95.7 % of varied digits), below a copy that changed a few answers.
NEAR_AGREEMENT = 0.98

#: Strikes, summed over a class's identities, that bar it: the oracle's default strike limit.
#: One identity is terminated on-chain at that many; identities that exit before it would
#: otherwise start again from zero.
BARRING_STRIKES = 3


def class_record(members: Iterable[WorkerInfo]) -> WorkerInfo:
    """What a class's identities have shown together: their scored rounds and strikes summed,
    their usefulness averaged by rounds (on the earliest member's record)."""
    ordered = sorted(members, key=lambda m: m.serial)
    rounds = sum(m.rounds_scored for m in ordered)
    strikes = sum(m.strikes for m in ordered)
    usefulness = (
        sum(m.usefulness * m.rounds_scored for m in ordered) // rounds
        if rounds
        else ordered[0].usefulness
    )
    return replace(ordered[0], rounds_scored=rounds, usefulness=usefulness, strikes=strikes)


class AnswerClasses:
    """Groups workers by their answers on a secret probe (see the module's docstring)."""

    def __init__(self, runtime: WorkerRuntime, probe_for: Callable[[str], bytes]) -> None:
        self.runtime = runtime
        #: The probe batch of a capability, drawn once.
        self._probe_for = probe_for
        self._probes: dict[str, bytes] = {}
        self._outputs: dict[tuple[str, str], bytes | None] = {}
        #: (capability, class) → every member seen, by id, with its latest record.
        self._members: dict[tuple[str, bytes], dict[bytes, WorkerInfo]] = {}
        #: (capability, worker id) → its class, for every member seen.
        self._class_of: dict[tuple[str, bytes], bytes] = {}
        #: Classes with a terminated member.
        self._barred: set[tuple[str, bytes]] = set()

    def fingerprint(self, capability: str, cid: str) -> bytes | None:
        """A digest of the worker's outputs on the capability's probe, or None when it
        fails there."""
        output = self.answers(capability, cid)
        return None if output is None else hashlib.sha256(output).digest()

    def answers(self, capability: str, cid: str) -> bytes | None:
        """The worker's outputs on the capability's probe, or None when it fails there."""
        key = (capability, cid)
        if key not in self._outputs:
            self._outputs[key] = self._measure(capability, cid)
        return self._outputs[key]

    def near(self, capability: str, first: WorkerInfo, second: WorkerInfo) -> bool:
        """True when the two answer alike on at least :data:`NEAR_AGREEMENT` of the probe: a
        near-copy, held to a margin before it may rank above the earlier one."""
        a, b = self.answers(capability, first.cid), self.answers(capability, second.cid)
        if a is None or b is None or len(a) != len(b) or not a:
            return False
        return sum(x == y for x, y in zip(a, b, strict=True)) >= NEAR_AGREEMENT * len(a)

    def standing(
        self, capability: str, worker: WorkerInfo, active: Mapping[bytes, WorkerInfo]
    ) -> tuple[bytes | None, WorkerInfo | None]:
        """The worker's class (None: it fails on the probe) and the record it plays with: its
        own, or its class's when the class has more scored rounds; None when its class is
        barred."""
        key = self.fingerprint(capability, worker.cid)
        if key is None:
            return None, worker
        members = self._members.setdefault((capability, key), {})
        members[worker.id] = worker
        self._class_of[(capability, worker.id)] = key
        if (capability, key) in self._barred:
            return key, None
        record = class_record(members.values())
        if record.strikes >= BARRING_STRIKES and len(members) > 1:
            self._barred.add((capability, key))  # a model that churned its way past its strikes
            return key, None
        if record.rounds_scored > worker.rounds_scored:
            return key, replace(
                worker,
                rounds_scored=record.rounds_scored,
                usefulness=record.usefulness,
                strikes=record.strikes,
            )
        return key, worker

    def refresh(self, latest: Callable[[bytes], WorkerInfo | None]) -> None:
        """Updates every member's record from ``latest`` (the node's index), so the rounds a
        member played before it left count for its class."""
        for members in self._members.values():
            for wid in members:
                if (info := latest(wid)) is not None:
                    members[wid] = info

    def representative(
        self, capability: str, key: bytes, active: Mapping[bytes, WorkerInfo]
    ) -> WorkerInfo:
        """The earliest active registrant of the class (its members seen so far)."""
        members = [active[wid] for wid in self._members.get((capability, key), {}) if wid in active]
        return min(members, key=lambda w: w.serial)

    def bar(self, capability: str, worker_id: bytes) -> None:
        """Bars the class of a terminated worker (if it has been probed) for good."""
        key = self._class_of.get((capability, worker_id))
        if key is not None:
            self._barred.add((capability, key))

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
        return output
