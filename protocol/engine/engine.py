"""The JIT engine: one service request, one round, end to end.

1. select the workers for the capability (:mod:`selection`);
2. draw canaries, hide them among the user's items (:mod:`batch`), open the round on-chain
   with the request and evaluation commitments;
3. fetch each worker's module by CID (verified, cached), run it on the batch in the sandbox,
   in this process or on a Celery pool (:mod:`protocol.tasks`);
4. prove the canary scores, close the round (the contract verifies the proof and settles
   rewards, slashes and terminations);
5. answer the user's items by a score-weighted vote of the workers, with a receipt.

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
from dataclasses import dataclass, field
from typing import Any

from web3 import Web3
from web3.logs import DISCARD

from oracle.circuit import ScoringInputs
from oracle.errors import OracleError
from oracle.evaluation import EvaluationSet, draw_canaries
from oracle.field import R
from oracle.prover import ScoringKeys, prove_scores
from oracle.solidity import proof_to_calldata
from protocol.chain.contracts import MemJitContracts, RoundStatus, WorkerInfo, encode_capability
from protocol.chain.signers import Signer
from protocol.chain.transactions import TxResult, call, transact
from protocol.engine.batch import MixedBatch, consensus, mix
from protocol.engine.journal import ABANDONED, CLOSED, EXECUTED, OPEN, OPENING, Journal, RoundRecord
from protocol.engine.selection import select_workers
from protocol.engine.tasks import split_items, task_for
from protocol.errors import ChainError, MemJitError, NoEligibleWorkers, RoundFailed
from protocol.runtime import WorkerRuntime
from protocol.tasks import Execution, Executor, LocalExecutor

log = logging.getLogger(__name__)

#: closeRound verifies a proof; estimating its gas re-runs the pairing (slow in-process).
CLOSE_GAS = 3_000_000
#: ``execute`` includes fetching and compiling the modules (done by the pool when there is one).
PHASES = ("select", "open", "execute", "prove", "close")


@dataclass(frozen=True)
class WorkerOutcome:
    id: bytes
    cid: str
    owner: str
    score: int
    reward_wei: int
    slashed_wei: int
    terminated: bool
    #: The sandbox's failure kind (``out-of-fuel``, ...), or None for a clean run.
    failure: str | None
    #: Where it ran: ``local``, or the pool worker's name.
    host: str = "local"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": "0x" + self.id.hex(),
            "cid": self.cid,
            "score": self.score,
            "reward_wei": str(self.reward_wei),
            "slashed_wei": str(self.slashed_wei),
            "terminated": self.terminated,
            "failure": self.failure,
            "host": self.host,
        }


@dataclass(frozen=True)
class RequestResult:
    capability: str
    round_id: int
    #: One answer byte per user item (score-weighted vote), or None if no worker answered.
    answers: bytes | None
    workers: tuple[WorkerOutcome, ...]
    transactions: dict[str, str]
    gas: dict[str, int]
    timings_s: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The result and its receipt, for ``--json`` output."""
        return {
            "capability": self.capability,
            "round_id": self.round_id,
            "answers": None if self.answers is None else list(self.answers),
            "transactions": self.transactions,
            "gas": self.gas,
            "timings_s": self.timings_s,
            "workers": [w.to_json() for w in self.workers],
        }


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
    ) -> None:
        self.mj = contracts
        self.chain = contracts.chain
        self.operator = operator
        self.runtime = runtime
        #: Where the workers run: this process (default) or a Celery pool.
        self.executor = executor or LocalExecutor(runtime)
        self.keys = keys
        self.journal = journal
        self.rng = rng or secrets.SystemRandom()

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

        task = task_for(capability)
        user_items = split_items(task, data)
        workers = self.candidates(capability)
        if not workers:
            raise NoEligibleWorkers(f"no active worker is registered for {capability!r}")
        self.executor.check()  # before the round opens: an outage costs no gas
        evaluation = draw_canaries(task.load_pool(), self.keys.shape.canaries, self.rng)
        batch = mix(user_items, evaluation.inputs, self.rng)
        record = RoundRecord(
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
        outcomes = self._settlement(workers, scores, runs, closed)
        answers = consensus(
            [(batch.user_answers(out), s) for out, s in zip(outputs, scores, strict=True)]
        )
        return RequestResult(
            capability=capability,
            round_id=int(record.round_id or 0),
            answers=answers,
            workers=outcomes,
            transactions=dict(record.transactions),
            gas={"open": opened.gas_used, "close": closed.gas_used},
            timings_s={k: round(v, 4) for k, v in timings.items()},
        )

    def candidates(self, capability: str) -> list[WorkerInfo]:
        """The workers this request will use, best first."""
        cap = encode_capability(capability)
        count = int(call(self.chain, self.mj.registry.functions.capabilityWorkerCount(cap)))
        ids = call(self.chain, self.mj.registry.functions.capabilityWorkerIds(cap, 0, count))
        infos = [self.mj.worker(bytes(i)) for i in ids]
        return select_workers(infos, self.keys.shape.workers)

    # -- steps -------------------------------------------------------------------------------

    def _open(self, record: RoundRecord) -> TxResult:
        evaluation = record.evaluation_commitment
        fn = self.mj.oracle.functions.openRound(
            record.worker_id_bytes(), record.request_commitment, evaluation
        )
        tx = transact(self.chain, self.operator, fn)
        (event,) = self.mj.oracle.events.RoundOpened().process_receipt(tx.receipt, errors=DISCARD)
        record.round_id = int(event["args"]["roundId"])
        record.phase = OPEN
        record.transactions["open"] = tx.tx_hash
        self.journal.save(record)
        return tx

    def _execute(
        self, record: RoundRecord, batch: MixedBatch, lap: Callable[[str], None]
    ) -> list[Execution]:
        runs = self.executor.execute_all(record.cids, batch.data())
        record.outputs = [None if run.output is None else run.output.hex() for run in runs]
        record.phase = EXECUTED
        self.journal.save(record)
        lap("execute")
        return runs

    def _prove_and_close(
        self,
        record: RoundRecord,
        evaluation: EvaluationSet,
        batch: MixedBatch,
        outputs: Sequence[bytes | None],
        lap: Callable[[str], None],
    ) -> tuple[TxResult, list[int]]:
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
        fn = self.mj.oracle.functions.closeRound(
            round_id,
            record.worker_id_bytes(),
            (
                record.request_commitment,
                record.evaluation_commitment,
                result.outputs_commitment,
            ),
            scores,
            proof_to_calldata(result.proof),
        )
        tx = transact(self.chain, self.operator, fn, gas=CLOSE_GAS)
        record.phase = CLOSED
        record.transactions["close"] = tx.tx_hash
        self.journal.save(record)
        lap("close")
        return tx, scores

    def _abandon(self, record: RoundRecord, reason: str) -> None:
        try:
            tx = transact(
                self.chain, self.operator, self.mj.oracle.functions.abandonRound(record.round_id)
            )
            record.transactions["abandon"] = tx.tx_hash
        except MemJitError as exc:
            log.warning("could not abandon round %s: %s", record.round_id, exc)
            return
        record.phase = ABANDONED
        record.note = reason
        self.journal.save(record)

    def _settlement(
        self,
        workers: Sequence[WorkerInfo],
        scores: Sequence[int],
        runs: Sequence[Execution],
        closed: TxResult,
    ) -> tuple[WorkerOutcome, ...]:
        receipt = closed.receipt
        rewards: dict[bytes, int] = {}
        for event in self.mj.oracle.events.RewardMinted().process_receipt(receipt, errors=DISCARD):
            rewards[bytes(event["args"]["workerId"])] = int(event["args"]["amount"])
        slashed: dict[bytes, int] = {}
        for event in self.mj.registry.events.WorkerSlashed().process_receipt(
            receipt, errors=DISCARD
        ):
            slashed[bytes(event["args"]["id"])] = int(event["args"]["amount"])
        terminated = {
            bytes(e["args"]["workerId"])
            for e in self.mj.oracle.events.WorkerEliminated().process_receipt(
                receipt, errors=DISCARD
            )
        }
        return tuple(
            WorkerOutcome(
                id=w.id,
                cid=w.cid,
                owner=w.owner,
                score=score,
                reward_wei=rewards.get(w.id, 0),
                slashed_wei=slashed.get(w.id, 0),
                terminated=w.id in terminated,
                failure=run.failure,
                host=run.host,
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

    def _recover(self, record: RoundRecord) -> str:
        if record.round_id is None:
            record.round_id = self._find_round(record)
            if record.round_id is None:
                record.phase = ABANDONED
                record.note = "never opened on-chain"
                self.journal.save(record)
                return "never opened"
        state: Any = call(self.chain, self.mj.oracle.functions.round(record.round_id))
        status = RoundStatus(state[0])
        if status in (RoundStatus.CLOSED, RoundStatus.ABANDONED):
            record.phase = CLOSED if status == RoundStatus.CLOSED else ABANDONED
            self.journal.save(record)
            return f"already {status.name.lower()} on-chain"
        now = int(self.chain.w3.eth.get_block("latest")["timestamp"])
        if now >= int(state[2]):
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

    def _find_round(self, record: RoundRecord) -> int | None:
        """The round a record opened, if its open transaction made it on-chain before the
        crash: the latest rounds are searched for the fingerprint of the record's workers and
        commitments (unique: the evaluation commitment is salted afresh for every round)."""
        last = int(call(self.chain, self.mj.oracle.functions.lastRoundId()))
        wanted = round_fingerprint(
            record.worker_id_bytes(), record.request_commitment, record.evaluation_commitment
        )
        for round_id in range(last, max(0, last - 64), -1):
            state: Any = call(self.chain, self.mj.oracle.functions.round(round_id))
            if bytes(state[4]) == wanted:
                return round_id
        return None


def round_fingerprint(worker_ids: Sequence[bytes], request: int, evaluation: int) -> bytes:
    """What the UtilityOracle stores for a round: keccak256(abi.encodePacked(request
    commitment, evaluation commitment, worker ids))."""
    return bytes(
        Web3.keccak(
            request.to_bytes(32, "big") + evaluation.to_bytes(32, "big") + b"".join(worker_ids)
        )
    )


def request_commitment(capability: str, batch: bytes) -> int:
    """keccak256 of the capability and the batch the workers see, reduced into the field:
    anyone holding the batch can check what the round was asked."""
    return int.from_bytes(Web3.keccak(capability.encode() + b"\0" + batch), "big") % R
