"""Deploying the MemJit contracts and remembering where they are.

The deployment record is one JSON file mapping chain id → contract addresses; every command
that needs the contracts on a chain reads it (``memjit deploy`` writes it).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eth_typing import ChecksumAddress
from web3 import Web3

from oracle.files import write_atomic
from protocol.artifacts import Artifact, load_artifact
from protocol.chain.connection import Chain
from protocol.chain.registry import Registry
from protocol.chain.signers import Signer
from protocol.chain.token import Token
from protocol.chain.transactions import TxResult, deploy
from protocol.chain.types import OracleParams
from protocol.chain.verifier import Verifier
from protocol.errors import ConfigError, NotDeployed
from protocol.units import WEI_PER_SWT

log = logging.getLogger(__name__)

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
#: Public signals ahead of the scores: round id, request, evaluation and outputs commitments,
#: the duplicates mask (``oracle.circuit.SIGNALS_BEFORE_SCORES``; a test keeps them equal).
SIGNALS_BEFORE_SCORES = 5
#: The ranges UtilityOracle accepts (its MIN_/MAX_SCORE_FLOOR and MIN_/MAX_SLASH_BPS): checked
#: here too, so a bad value is refused before anything is deployed.
SCORE_FLOOR_RANGE = (10, 90)
SLASH_BPS_RANGE = (100, 5_000)
#: Its MIN_/MAX_STRIKE_LIMIT: one unlucky draw never terminates a worker.
STRIKE_LIMIT_RANGE = (2, 10)
#: Workers per round of an oracle deployed without a verifier.
DEFAULT_WORKERS_PER_ROUND = 5


@dataclass(frozen=True)
class DeployConfig:
    """Parameters fixed or initialised at deployment. Defaults suit a devnet demo."""

    #: Minimum stake to register a worker: the price of a Sybil identity.
    min_stake_wei: int = 100 * WEI_PER_SWT
    #: How long exiting stake stays slashable; longer than ``round_timeout_s``.
    unbonding_delay_s: int = 2 * 86_400
    #: SWT per score point: a perfect score used within the instant earns 100 × this.
    base_rate_wei: int = WEI_PER_SWT // 10
    #: Scores below this are slashed and never rewarded.
    score_floor: int = 20
    #: Share of stake slashed below the floor, in basis points.
    slash_bps: int = 1_000
    #: Strikes that make a worker terminable (one per round under the floor, less one per
    #: round at or above it).
    strike_limit: int = 3
    #: Share of stake slashed at termination, in basis points (half of it to the caller).
    termination_bps: int = 2_500
    #: Workers per round; None: as many as the verifier's circuit has score slots (its k),
    #: or :data:`DEFAULT_WORKERS_PER_ROUND` without a verifier.
    max_workers_per_round: int | None = None
    #: Scored workers needed before the 3-sigma rule applies (at least 11; see the README).
    min_population: int = 16
    #: How long a round may stay open.
    round_timeout_s: int = 3_600
    #: Receives slashed stake nobody else earned; the deployer when None.
    treasury: str | None = None

    def __post_init__(self) -> None:
        """Refuses values that would break the economics (the contracts refuse them too):
        a free identity could never be slashed, a floor at or under chance pays guessers, and
        a slash under 1 % or over 50 % is no deterrent or ruins a worker for one bad round."""
        if self.min_stake_wei <= 0:
            raise ConfigError("the minimum stake must be above 0: a free worker cannot be slashed")
        if self.base_rate_wei <= 0:
            raise ConfigError("the base rate must be above 0")
        low, high = SCORE_FLOOR_RANGE
        if not low <= self.score_floor <= high:
            raise ConfigError(f"the score floor must be {low}-{high}, got {self.score_floor}")
        low, high = SLASH_BPS_RANGE
        if not low <= self.slash_bps <= high:
            raise ConfigError(f"the slash must be {low}-{high} basis points, got {self.slash_bps}")
        if not low <= self.termination_bps <= high:
            raise ConfigError(
                f"the termination slash must be {low}-{high} basis points, "
                f"got {self.termination_bps}"
            )
        low, high = STRIKE_LIMIT_RANGE
        if not low <= self.strike_limit <= high:
            raise ConfigError(f"the strike limit must be {low}-{high}, got {self.strike_limit}")

    def oracle_params(self, deployer: str, max_workers_per_round: int) -> OracleParams:
        return OracleParams(
            base_rate_wei=self.base_rate_wei,
            score_floor=self.score_floor,
            slash_bps=self.slash_bps,
            strike_limit=self.strike_limit,
            termination_bps=self.termination_bps,
            max_workers_per_round=max_workers_per_round,
            min_population=self.min_population,
            round_timeout_s=self.round_timeout_s,
            treasury=Web3.to_checksum_address(self.treasury or deployer),
        )


@dataclass(frozen=True)
class Deployment:
    """Where the contracts of one chain live."""

    chain_id: int
    swt: ChecksumAddress
    registry: ChecksumAddress
    oracle: ChecksumAddress
    verifier: ChecksumAddress | None
    deployer: ChecksumAddress
    block_number: int
    transactions: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Deployment:
        try:
            return cls(
                chain_id=int(data["chain_id"]),
                swt=Web3.to_checksum_address(data["swt"]),
                registry=Web3.to_checksum_address(data["registry"]),
                oracle=Web3.to_checksum_address(data["oracle"]),
                verifier=Web3.to_checksum_address(data["verifier"])
                if data.get("verifier")
                else None,
                deployer=Web3.to_checksum_address(data["deployer"]),
                block_number=int(data["block_number"]),
                transactions=dict(data.get("transactions", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"malformed deployment record: {exc}") from exc


@dataclass(frozen=True)
class DeployResult:
    deployment: Deployment
    steps: tuple[tuple[str, TxResult], ...]


def deploy_memjit(
    chain: Chain,
    signer: Signer,
    config: DeployConfig | None = None,
    verifier: str | Artifact | None = None,
) -> DeployResult:
    """Deploys SWT, WorkerRegistry and UtilityOracle, then hands the minter and oracle roles
    to the UtilityOracle (each settable once, so nobody else can ever hold them).

    ``verifier`` is the Groth16 verifier: the address of a deployed one, or an artifact to
    deploy first (e.g. :func:`verifier_artifact`). Without one the oracle can open rounds but
    every close reverts with ``UtilityOracleNoVerifier``.
    """
    config = config or DeployConfig()
    if config.min_population < 11:
        raise ConfigError(f"min_population must be at least 11, got {config.min_population}")
    steps: list[tuple[str, TxResult]] = []
    if isinstance(verifier, Artifact):
        address, tx = deploy(chain, signer, verifier)
        steps.append((f"deploy {verifier.name}", tx))
        verifier = address
    max_workers = config.max_workers_per_round
    if max_workers is None:
        max_workers = (
            verifier_score_slots(chain, verifier) if verifier else DEFAULT_WORKERS_PER_ROUND
        )
    swt, tx = deploy(chain, signer, load_artifact("SWT"))
    steps.append(("deploy SWT", tx))
    registry, tx = deploy(
        chain,
        signer,
        load_artifact("WorkerRegistry"),
        swt,
        config.min_stake_wei,
        config.unbonding_delay_s,
    )
    steps.append(("deploy WorkerRegistry", tx))
    oracle, tx = deploy(
        chain,
        signer,
        load_artifact("UtilityOracle"),
        swt,
        registry,
        Web3.to_checksum_address(verifier) if verifier else ZERO_ADDRESS,
        config.oracle_params(signer.address, max_workers).as_tuple(),
        signer.address,
    )
    steps.append(("deploy UtilityOracle", tx))
    token = Token(chain, swt)
    steps.append(("SWT.setMinter(UtilityOracle)", token.set_minter(signer, oracle)))
    steps.append(
        (
            "WorkerRegistry.setOracle(UtilityOracle)",
            Registry(chain, registry, token).set_oracle(signer, oracle),
        )
    )
    deployment = Deployment(
        chain_id=chain.chain_id,
        swt=swt,
        registry=registry,
        oracle=oracle,
        verifier=Web3.to_checksum_address(verifier) if verifier else None,
        deployer=signer.address,
        block_number=steps[0][1].block_number,
        transactions={name: result.tx_hash for name, result in steps},
    )
    return DeployResult(deployment, tuple(steps))


def verifier_artifact(keys_dir: Path | None = None) -> Artifact:
    """The Groth16 verifier to deploy: the packaged one (generated from the package's
    INSECURE development keys, ``contracts/Groth16Verifier.sol``) or the one ``memjit oracle
    setup`` generated in ``keys_dir``, compiled now (which needs the checkout's solc-js)."""
    if keys_dir is None:
        return load_artifact("Groth16Verifier")
    from protocol.compiler import compile_sources

    source = keys_dir / "Groth16Verifier.sol"
    if not source.is_file():
        raise ConfigError(f"{keys_dir} has no Groth16Verifier.sol: run `memjit oracle setup`")
    artifacts = compile_sources({"contracts/Groth16Verifier.sol": source.read_text()})
    if "Groth16Verifier" not in artifacts:
        raise ConfigError(f"{source} does not define a Groth16Verifier contract")
    return artifacts["Groth16Verifier"]


def verifier_score_slots(chain: Chain, verifier: str) -> int:
    """How many scores the verifier at ``verifier`` takes: its public inputs after the
    round id and the three commitments."""
    count = Verifier(chain, verifier).public_input_count()
    if count <= SIGNALS_BEFORE_SCORES:
        raise ConfigError(f"{verifier} is not a scoring verifier ({count} public inputs)")
    return count - SIGNALS_BEFORE_SCORES


def save_deployment(path: Path, deployment: Deployment) -> None:
    """Records ``deployment`` under its chain id in the JSON file at ``path`` (atomically)."""
    records = _read_records(path) if path.exists() else {}
    records[str(deployment.chain_id)] = deployment.to_json()
    write_atomic(path, (json.dumps(records, indent=2, sort_keys=True) + "\n").encode())


def load_deployment(path: Path, chain: Chain) -> Deployment:
    """The recorded deployment for ``chain``, checked to still exist on it."""
    if not path.exists():
        raise NotDeployed(f"no deployment record at {path}: run `memjit deploy` first")
    record = _read_records(path).get(str(chain.chain_id))
    if record is None:
        raise NotDeployed(
            f"nothing deployed on chain {chain.chain_id} according to {path}: run `memjit deploy`"
        )
    deployment = Deployment.from_json(record)
    if not chain.w3.eth.get_code(deployment.registry):
        raise NotDeployed(
            f"the recorded WorkerRegistry {deployment.registry} has no code on chain {chain.chain_id} "
            "(was the devnet restarted?): run `memjit deploy` again"
        )
    return deployment


def _read_records(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read deployment record {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"deployment record {path} is not a JSON object")
    return data
