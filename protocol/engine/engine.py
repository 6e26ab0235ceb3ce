"""The JIT engine: one service request, one round, end to end.

1. select the workers for the capability (:mod:`selection`: the most useful, and learning
   ones explored, with a recent block's hash as the seed);
2. draw canaries (fresh variations of a pool's items: :mod:`oracle.canaries`), hide them among
   the user's items (:mod:`batch`), open the round on-chain with the request and evaluation
   commitments;
3. fetch each worker's module by CID (verified, cached), run it on the batch in the sandbox,
   in this process or on a Celery pool (:mod:`protocol.pool`);
4. prove the canary scores, close the round (the contract verifies the proof and settles
   rewards, slashes and terminations), then terminate any other worker of the capability that
   qualifies (:mod:`sweep`);
5. answer the user's items with the most useful worker's answers, with a receipt.

Every step that touches the chain is journaled first (:mod:`journal`); :meth:`JITEngine.recover`
finishes or abandons whatever a crash left open, as the chain says it stands.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
import uuid
from collections.abc import Callable, Sequence

from eth_utils.crypto import keccak

from oracle.canaries import CanarySource
from oracle.circuit import ScoringInputs
from oracle.errors import OracleError
from oracle.evaluation import EvaluationSet
from oracle.field import R
from oracle.prover import ScoringKeys, prove_scores
from oracle.solidity import proof_to_calldata
from protocol.chain import (
    ClosedRound,
    MemJitContracts,
    RoundCommitments,
    RoundStatus,
    Settlement,
    Signer,
    TxResult,
    WorkerIndex,
    WorkerInfo,
    latest_block,
    seed_block,
)
from protocol.engine.batch import MixedBatch, best_answers, mix
from protocol.engine.capabilities import capability_for, split_items
from protocol.engine.classes import PROBE_ITEMS, AnswerClasses
from protocol.engine.journal import (
    ABANDONED,
    CLOSED,
    EXECUTED,
    OPEN,
    OPENING,
    Journal,
    JournalEntry,
)
from protocol.engine.results import RequestResult, WorkerOutcome
from protocol.engine.selection import Selection, seed_of, select_workers
from protocol.engine.sweep import sweep
from protocol.errors import ChainError, MemJitError, NoEligibleWorkers, RoundFailed
from protocol.runtime import Execution, Executor, LocalExecutor, WorkerRuntime

log = logging.getLogger(__name__)

#: ``execute`` includes fetching and compiling the modules (done by the pool when there is one).
PHASES = ("select", "open", "execute", "prove", "close")


class JITEngine:
    def __init__(
        self,
        contracts: MemJitContracts,
        operator: Signer,
        runtime: WorkerRuntime,
        keys: ScoringKeys,
        journal: Journal,
        rng: random.Random | None = None,
        executor: Executor | None = None,
        canaries: CanarySource | None = None,
    ) -> None:
        """``rng`` draws the canaries, their variations and salts, and the batch order: the
        OS's secure generator unless a test seeds one. ``canaries`` is the operator's private
        pool, used for its task's requests; other tasks draw from the capability's default.
        A pool too small for the keys' rounds is refused here, before any round."""
        self.mj = contracts
        self.chain = contracts.chain
        self.operator = operator
        self.runtime = runtime
        #: Where the workers run: this process (default) or a Celery pool.
        self.executor = executor or LocalExecutor(runtime)
        self.keys = keys
        self.journal = journal
        self.rng = rng or secrets.SystemRandom()
        self.canaries = canaries
        #: Answer classes of the workers, by a probe only this engine knows.
        self.classes = AnswerClasses(runtime, self._probe)
        #: The registry's workers, kept current from its events: a request reads the blocks
        #: mined since the last one, not every worker.
        self.index = WorkerIndex(contracts)
        if canaries is not None:
            capability_for(canaries.task)  # a pool for a task this node does not serve
            canaries.check(keys.shape.canaries)

    # -- a request ----------------------------------------------------------------------------

    def serve(
        self,
        capability: str,
        data: bytes,
        progress: Callable[[str], None] | None = None,
    ) -> RequestResult:
        """Serves one request: ``data`` is the user's items, concatenated."""
        say = progress or (lambda _text: None)
        timings: dict[str, float] = {}
        clock = time.perf_counter()

        def lap(phase: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            timings[phase] = timings.get(phase, 0.0) + now - clock
            clock = now

        spec = capability_for(capability)
        user_items = split_items(spec, data)
        selection = self.candidates(capability)
        workers = list(selection.workers)
        if not workers:
            raise NoEligibleWorkers(f"no active worker is registered for {capability!r}")
        self.executor.check()  # before the round opens: an outage costs no gas
        evaluation = self.canary_source(capability).draw(self.keys.shape.canaries, self.rng)
        batch = mix(user_items, evaluation.inputs, self.rng)
        record = JournalEntry(
            key=uuid.uuid4().hex,
            phase=OPENING,
            capability=capability,
            request_commitment=request_commitment(capability, batch.data()),
            evaluation=evaluation.to_json(),
            items=[item.hex() for item in batch.items],
            canary_positions=list(batch.canary_positions),
            user_positions=list(batch.user_positions),
            worker_ids=["0x" + w.id.hex() for w in workers],
            cids=[w.cid for w in workers],
            seed_block=selection.seed_block,
            explored=["0x" + wid.hex() for wid in sorted(selection.explored)],
        )
        self.journal.save(record)
        lap("select")

        say(f"opening a round for {len(workers)} workers")
        opened = self._open(record)
        lap("open")
        say(f"round {record.round_id}: running {len(workers)} workers on {len(batch.items)} items")
        try:
            runs = self._execute(record, batch, lap)
            outputs = [run.output for run in runs]
            say(f"round {record.round_id}: proving the scores")
            closed, scores = self._prove_and_close(record, evaluation, batch, outputs, lap)
        except ChainError:
            raise  # the journal holds the round; `recover` finishes or abandons it
        except (MemJitError, OracleError) as exc:
            self._abandon(record, str(exc))
            raise RoundFailed(f"round {record.round_id} abandoned: {exc}") from exc
        outcomes = self._outcomes(workers, scores, runs, closed.settlement, selection.explored)
        self.index.sync()
        sweep(self.mj, self.operator, self.index.active(capability))
        usefulness = closed.settlement.usefulness
        answers = best_answers(
            [
                (batch.user_answers(out), 0 if o.duplicate else usefulness.get(w.id, w.usefulness))
                for w, out, o in zip(workers, outputs, outcomes, strict=True)
            ]
        )
        return RequestResult(
            capability=capability,
            round_id=int(record.round_id or 0),
            answers=answers,
            workers=outcomes,
            transactions=dict(record.transactions),
            gas={"open": opened.gas_used, "close": closed.tx.gas_used},
            timings_s={k: round(v, 4) for k, v in timings.items()},
        )

    def candidates(self, capability: str) -> Selection:
        """The workers this request will use, in registration order (as a round lists them:
        the proof marks a worker repeating an earlier one's answers), chosen with a recent
        block's hash as the exploration seed (:func:`~protocol.chain.seed_block`). One per
        answer class (:mod:`classes`): a copy under another CID never takes a slot."""
        self.index.sync()
        self.classes.refresh(self.index.worker)
        # Every termination so far, whoever made it (a close, the sweep, a fisherman).
        for wid in self.index.terminated(capability):
            self.classes.bar(capability, wid)
        block = seed_block(self.chain)
        return select_workers(
            self.index.active(capability),
            self.keys.shape.workers,
            seed_of(block.hash, capability),
            capability,
            self.classes,
            seed_block=block.number,
        )

    def _probe(self, capability: str) -> bytes:
        """A secret probe batch for :class:`AnswerClasses`, drawn like canaries."""
        source, count = self.canary_source(capability), self.keys.shape.canaries
        items: list[bytes] = []
        while len(items) < PROBE_ITEMS:
            items.extend(source.draw(count, self.rng).inputs)
        return b"".join(items[:PROBE_ITEMS])

    def canary_source(self, capability: str) -> CanarySource:
        """Where ``capability``'s canaries come from: the operator's pool for its task, else
        the capability's default (the shipped pool, varied)."""
        if self.canaries is not None and self.canaries.task == capability:
            return self.canaries
        return capability_for(capability).default_canaries()

    # -- steps -------------------------------------------------------------------------------

    def _open(self, record: JournalEntry) -> TxResult:
        opened = self.mj.rounds.open(
            self.operator,
            record.worker_id_bytes(),
            record.request_commitment,
            record.evaluation_commitment,
            record.seed_block,
        )
        record.round_id = opened.round_id
        record.phase = OPEN
        record.transactions["open"] = opened.tx.tx_hash
        self.journal.save(record)
        return opened.tx

    def _execute(
        self, record: JournalEntry, batch: MixedBatch, lap: Callable[[str], None]
    ) -> list[Execution]:
        runs = self.executor.execute_all(record.cids, batch.data())
        record.outputs = [None if run.output is None else run.output.hex() for run in runs]
        record.phase = EXECUTED
        self.journal.save(record)
        lap("execute")
        return runs

    def _prove_and_close(
        self,
        record: JournalEntry,
        evaluation: EvaluationSet,
        batch: MixedBatch,
        outputs: Sequence[bytes | None],
        lap: Callable[[str], None],
    ) -> tuple[ClosedRound, list[int]]:
        round_id = int(record.round_id or 0)
        inputs = ScoringInputs(
            round_id=round_id,
            request_commitment=record.request_commitment,
            answers=evaluation.answers,
            salt=evaluation.salt,
            outputs=tuple(batch.canary_answers(o) for o in outputs),
        )
        result = prove_scores(self.keys, inputs)
        lap("prove")
        scores = list(result.scores[: len(outputs)])
        closed = self.mj.rounds.close(
            self.operator,
            round_id,
            record.worker_id_bytes(),
            RoundCommitments(
                record.request_commitment, record.evaluation_commitment, result.outputs_commitment
            ),
            result.duplicates,
            scores,
            proof_to_calldata(result.proof),
        )
        record.phase = CLOSED
        record.transactions["close"] = closed.tx.tx_hash
        self.journal.save(record)
        lap("close")
        return closed, scores

    def _abandon(self, record: JournalEntry, reason: str) -> None:
        try:
            tx = self.mj.rounds.abandon(self.operator, int(record.round_id or 0))
            record.transactions["abandon"] = tx.tx_hash
        except MemJitError as exc:
            log.warning("could not abandon round %s: %s", record.round_id, exc)
            return
        record.phase = ABANDONED
        record.note = reason
        self.journal.save(record)

    def _outcomes(
        self,
        workers: Sequence[WorkerInfo],
        scores: Sequence[int],
        runs: Sequence[Execution],
        settlement: Settlement,
        explored: frozenset[bytes] = frozenset(),
    ) -> tuple[WorkerOutcome, ...]:
        return tuple(
            WorkerOutcome(
                id=w.id,
                cid=w.cid,
                score=score,
                reward_wei=settlement.rewards.get(w.id, 0),
                slashed_wei=settlement.slashed.get(w.id, 0),
                terminated=w.id in settlement.terminated,
                failure=run.failure,
                host=run.host,
                duplicate=w.id in settlement.duplicates,
                explored=w.id in explored,
            )
            for w, score, run in zip(workers, scores, runs, strict=True)
        )

    # -- recovery ----------------------------------------------------------------------------

    def recover(self) -> list[tuple[int | None, str]]:
        """Finishes or abandons every journaled round a crash left behind, as the chain says
        it stands: a round still open and in time is executed (again, deterministically),
        proved and closed; an expired one is abandoned; a round the chain already closed or
        abandoned is only marked so. Returns ``(round id, what happened)`` per record."""
        done: list[tuple[int | None, str]] = []
        for record in self.journal.pending():
            done.append((record.round_id, self._recover(record)))
        return done

    def _recover(self, record: JournalEntry) -> str:
        if record.round_id is None:
            record.round_id = self._find_round(record)
            if record.round_id is None:
                record.phase = ABANDONED
                record.note = "never opened on-chain"
                self.journal.save(record)
                return "never opened"
        state = self.mj.rounds.get(record.round_id)
        status = state.status
        if status in (RoundStatus.CLOSED, RoundStatus.ABANDONED):
            record.phase = CLOSED if status == RoundStatus.CLOSED else ABANDONED
            self.journal.save(record)
            return f"already {status.name.lower()} on-chain"
        if latest_block(self.chain).timestamp >= state.deadline:
            self._abandon(record, "expired before recovery")
            return "expired: abandoned"
        evaluation = EvaluationSet.from_json(record.evaluation)
        batch = record.batch()
        if record.outputs is None:
            outputs = [run.output for run in self._execute(record, batch, lambda _phase: None)]
        else:
            outputs = [None if o is None else bytes.fromhex(o) for o in record.outputs]
        try:
            self._prove_and_close(record, evaluation, batch, outputs, lambda _phase: None)
        except ChainError:
            raise
        except (MemJitError, OracleError) as exc:
            self._abandon(record, str(exc))
            return f"abandoned: {exc}"
        return "resumed and closed"

    def _find_round(self, record: JournalEntry) -> int | None:
        """The round a record opened, if its open transaction made it on-chain before the
        crash: found among the latest rounds by the fingerprint of the record's workers and
        commitments (unique: the evaluation commitment is salted afresh for every round)."""
        return self.mj.rounds.find(
            record.worker_id_bytes(), record.request_commitment, record.evaluation_commitment
        )


def request_commitment(capability: str, batch: bytes) -> int:
    """keccak256 of the capability and the batch the workers see, reduced into the field:
    anyone holding the batch can check what the round was asked."""
    return int.from_bytes(keccak(capability.encode() + b"\0" + batch), "big") % R
