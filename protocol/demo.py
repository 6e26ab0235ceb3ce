"""The demo's scenario: the main job on any devnet, as a library (``memjit demo`` is its
command line; the tests and benchmarks run it too).

It deploys the contracts (with the Groth16 verifier of the packaged development keys),
publishes the example workers to the node's content store (three digit classifiers of
different quality, a random guesser, a worker that spins forever, one that eats memory, and
two that cheat: a memoriser holding every labelled digit the package ships, and a copy of
the best classifier under another CID and owner), registers each with stake, and serves
requests. Each request is a round: the engine picks five
workers, hides 16 canaries among the user's 5 digits, runs the workers in the sandbox, proves
their canary scores and closes the round on-chain, which pays the best three and slashes the
ones under the floor. The leaderboard at the end shows the selection.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from oracle.datasets import load_digits_test
from oracle.prover import load_dev_keys
from protocol.chain import (
    Chain,
    DeployConfig,
    Deployment,
    MemJitContracts,
    WorkerInfo,
    deploy_memjit,
    devnet_signer,
    save_deployment,
)
from protocol.chain.deployment import verifier_artifact
from protocol.engine import JITEngine, Journal, RequestResult
from protocol.runtime import Executor, WorkerRuntime
from protocol.settings import Settings
from protocol.toolchain import build_file
from protocol.toolchain.lookup import build_lookup_worker
from protocol.toolchain.variants import tagged_copy
from protocol.units import WEI_PER_SWT

CAPABILITY = "digits-8x8"
USER_ITEMS = 5


@dataclass(frozen=True)
class Example:
    """An example worker's source, built as it is."""

    path: str

    def module(self) -> bytes:
        return build_file(example_path(self.path))


@dataclass(frozen=True)
class Copy:
    """A copycat: an example's module under another CID (a custom section holds ``tag``)."""

    of: Example
    tag: str

    def module(self) -> bytes:
        return tagged_copy(self.of.module(), self.tag)


@dataclass(frozen=True)
class Memoriser:
    """A lookup table of every labelled digit the package ships; any other item is answered
    ``miss_answer``."""

    miss_answer: int

    def module(self) -> bytes:
        return build_lookup_worker(load_digits_test(), miss_answer=self.miss_answer)


#: How an entrant's module is made.
Recipe = Example | Copy | Memoriser


@dataclass(frozen=True)
class Entrant:
    """An example worker, who owns it, and how it was built."""

    name: str
    owner_index: int
    recipe: Recipe
    stake_swt: int
    #: Requests served before it registers (a copycat waits for a worker worth copying);
    #: one that would enter after the last request registers at the end.
    enters_after: int = 0


MLP = Example("digits/models/mlp.json")
ENTRANTS = (
    Entrant("small-mlp", 1, MLP, 300),
    Entrant("logistic-regression", 2, Example("digits/models/logistic.json"), 200),
    Entrant("nearest-centroid", 2, Example("digits/models/centroid.json"), 200),
    Entrant("random-guesser", 3, Example("hostile/random.wat"), 150),
    Entrant("infinite-loop", 3, Example("hostile/spin.wat"), 150),
    Entrant("memory-bomb", 4, Example("hostile/bomb.wat"), 150),
    # The cheats arrive once the first round has shown who leads and what canaries look like.
    # The memoriser never meets a canary it has seen; the copycat is in the MLP's answer class,
    # so it is never selected (and, were it, it would be paid nothing beside the original).
    Entrant("memoriser", 5, Memoriser(miss_answer=1), 150, enters_after=1),
    Entrant("copycat", 5, Copy(MLP, "copycat"), 150, enters_after=1),
)
OWNERS = {1: "bob", 2: "alice", 3: "mallory", 4: "trent", 5: "eve"}


def example_path(relative: str) -> Path:
    """An example worker's source, shipped in the package (``protocol/examples`` = ``workers/``)."""
    return Path(str(resources.files("protocol").joinpath("examples", relative)))


@dataclass(frozen=True)
class Standing:
    """One entrant's place on the leaderboard."""

    entrant: Entrant
    info: WorkerInfo
    rounds: int
    rewards_wei: int
    slashed_wei: int
    #: The failure kinds of its runs, sorted.
    failures: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        info = self.info
        return {
            "name": self.entrant.name,
            "owner": OWNERS[self.entrant.owner_index],
            "id": "0x" + info.id.hex(),
            "cid": info.cid,
            "rounds": self.rounds,
            "last_score": info.last_score,
            "usefulness": info.usefulness / 100,
            "rewards_wei": str(self.rewards_wei),
            "slashed_wei": str(self.slashed_wei),
            "stake_wei": str(info.stake),
            "status": info.status.name.lower(),
            "failures": list(self.failures),
        }


@dataclass(frozen=True)
class DemoSummary:
    """What the demo did."""

    deployment: Deployment
    rounds: tuple[RequestResult, ...]
    #: Worker id → the entrant it is.
    entrants: Mapping[bytes, Entrant]
    #: Best usefulness first.
    leaderboard: tuple[Standing, ...]
    user_items_correct: int
    total_staked_wei: int

    @property
    def user_items(self) -> int:
        return len(self.rounds) * USER_ITEMS

    def to_json(self) -> dict[str, Any]:
        """The summary ``memjit demo --json`` prints."""
        deployed = self.deployment
        return {
            "chain_id": deployed.chain_id,
            "contracts": {
                "SWT": deployed.swt,
                "WorkerRegistry": deployed.registry,
                "UtilityOracle": deployed.oracle,
                "Groth16Verifier": deployed.verifier,
            },
            "rounds": [
                {
                    **r.to_json(),
                    "workers": [
                        {**w.to_json(), "name": self.entrants[w.id].name} for w in r.workers
                    ],
                }
                for r in self.rounds
            ],
            "leaderboard": [standing.to_json() for standing in self.leaderboard],
            "user_items_correct": self.user_items_correct,
            "user_items": self.user_items,
        }


class DemoProgress:
    """What the demo reports as it goes; the command line prints it, a library caller may
    ignore it (the default does nothing)."""

    def deployed(self, chain: Chain, deployment: Deployment) -> None:
        """The contracts are deployed."""

    def recorded(self, chain_id: int, path: Path) -> None:
        """The deployment was recorded (on a JSON-RPC chain) in ``path``."""

    def staked(self, entrant: Entrant, cid: str) -> None:
        """An entrant's module is published and its stake bonded."""

    def serving(self, number: int, rounds: int) -> Callable[[], None]:
        """Request ``number`` of ``rounds`` starts; the callable returned is called when it
        has been served."""
        return lambda: None

    def served(self, result: RequestResult, entrants: Mapping[bytes, Entrant], right: int) -> None:
        """A request was served as a round; ``right`` of the user's items were answered
        correctly."""


def run_demo(
    chain: Chain,
    settings: Settings,
    work: Path,
    rounds: int,
    seed: int | None,
    progress: DemoProgress | None = None,
    executor: Callable[[WorkerRuntime], Executor] | None = None,
) -> DemoSummary:
    """The demo's rounds on ``chain`` (a devnet), with its node's files in ``work``.
    ``executor`` says where workers run (default: this process); a pool's workers must read
    ``work``'s store. On a JSON-RPC chain the deployment is recorded in ``settings``'s
    deployments file, so that ``memjit web`` and ``memjit worker ...`` find it afterwards."""
    report = progress or DemoProgress()
    rng = random.Random(seed) if seed is not None else random.SystemRandom()
    operator = devnet_signer(chain, 0)
    deployed = deploy_memjit(
        chain, operator, DeployConfig(), verifier=verifier_artifact()
    ).deployment
    mj = MemJitContracts(chain, deployed)
    report.deployed(chain, deployed)
    if chain.kind == "rpc":
        save_deployment(settings.deployments_file, deployed)
        report.recorded(chain.chain_id, settings.deployments_file)

    # The demo's node keeps its store, cache and journal in a scratch folder.
    runtime = WorkerRuntime.from_settings(Settings.load(home=work))
    entrants: dict[bytes, Entrant] = {}
    funded: set[int] = set()

    def enter(served: int) -> None:
        """Publishes and stakes the entrants due after ``served`` requests."""
        for entrant in ENTRANTS:
            if min(entrant.enters_after, rounds) != served:
                continue
            owner = devnet_signer(chain, entrant.owner_index)
            if entrant.owner_index not in funded:
                mj.token.faucet(owner, 1_000 * WEI_PER_SWT)
                funded.add(entrant.owner_index)
            cid = runtime.publish(entrant.recipe.module())
            stake = entrant.stake_swt * WEI_PER_SWT
            wid, _ = mj.registry.register(owner, cid, stake, CAPABILITY)
            entrants[wid] = entrant
            report.staked(entrant, cid)

    enter(0)

    engine = JITEngine(
        mj,
        operator,
        runtime,
        load_dev_keys(),
        Journal(work / "rounds"),
        rng,
        executor=None if executor is None else executor(runtime),
    )
    digits = load_digits_test()
    results: list[RequestResult] = []
    correct = 0
    for number in range(1, rounds + 1):
        picks = rng.sample(range(len(digits)), USER_ITEMS)
        data = b"".join(digits.inputs[i] for i in picks)
        truth = bytes(digits.labels[i] for i in picks)
        done = report.serving(number, rounds)
        try:
            result = engine.serve(CAPABILITY, data)
        finally:
            done()
        results.append(result)
        right = sum(a == t for a, t in zip(result.answers or b"", truth, strict=False))
        correct += right
        report.served(result, entrants, right)
        enter(number)
    runtime.close()

    return DemoSummary(
        deployment=deployed,
        rounds=tuple(results),
        entrants=entrants,
        leaderboard=leaderboard(mj, entrants, results),
        user_items_correct=correct,
        total_staked_wei=mj.registry.total_staked(),
    )


def leaderboard(
    mj: MemJitContracts, entrants: Mapping[bytes, Entrant], results: list[RequestResult]
) -> tuple[Standing, ...]:
    """Each entrant's standing, best usefulness first."""
    rows = []
    for wid, entrant in entrants.items():
        outcomes = [w for r in results for w in r.workers if w.id == wid]
        rows.append(
            Standing(
                entrant=entrant,
                info=mj.registry.worker(wid),
                rounds=len(outcomes),
                rewards_wei=sum(w.reward_wei for w in outcomes),
                slashed_wei=sum(w.slashed_wei for w in outcomes),
                failures=tuple(sorted({w.failure for w in outcomes if w.failure})),
            )
        )
    rows.sort(key=lambda s: (-s.info.usefulness / 100, s.entrant.name))
    return tuple(rows)
