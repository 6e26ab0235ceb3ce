"""The engine's round journal: what a restart needs to finish or abandon a round.

One JSON file per round, written atomically before and after every step that touches the
chain. It holds the evaluation set (hidden answers and salt), so files are private (0600).
Recovery trusts the chain, not the journal, for what has happened on-chain: the journal only
says which round a record is about and what the workers answered.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from oracle.files import write_atomic
from protocol.engine.batch import MixedBatch

#: Phases, in order. ``closed`` and ``abandoned`` are final.
OPENING, OPEN, EXECUTED, CLOSED, ABANDONED = "opening", "open", "executed", "closed", "abandoned"
FINAL = (CLOSED, ABANDONED)


@dataclass
class JournalEntry:
    key: str
    phase: str
    capability: str
    request_commitment: int
    evaluation: dict[str, Any]
    items: list[str]
    canary_positions: list[int]
    user_positions: list[int]
    worker_ids: list[str]
    cids: list[str]
    round_id: int | None = None
    #: The block whose hash seeded the choice of workers (named when the round opens).
    seed_block: int | None = None
    #: Workers picked to explore (learning ones), as hex ids.
    explored: list[str] = field(default_factory=list)
    #: Each worker's whole output as hex, None for a failed run.
    outputs: list[str | None] | None = None
    transactions: dict[str, str] = field(default_factory=dict)
    note: str = ""

    def batch(self) -> MixedBatch:
        return MixedBatch(
            tuple(bytes.fromhex(i) for i in self.items),
            tuple(self.canary_positions),
            tuple(self.user_positions),
        )

    @property
    def evaluation_commitment(self) -> int:
        return int(self.evaluation["commitment"])

    def worker_id_bytes(self) -> list[bytes]:
        return [bytes.fromhex(w.removeprefix("0x")) for w in self.worker_ids]


class Journal:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def save(self, record: JournalEntry) -> None:
        write_atomic(self.path(record.key), json.dumps(asdict(record), indent=1).encode())

    def load(self, key: str) -> JournalEntry:
        return JournalEntry(**json.loads(self.path(key).read_text()))

    def pending(self) -> list[JournalEntry]:
        """Records whose round is not known to be over, oldest first."""
        if not self.folder.is_dir():
            return []
        records = []
        for path in sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime):
            record = JournalEntry(**json.loads(path.read_text()))
            if record.phase not in FINAL:
                records.append(record)
        return records
