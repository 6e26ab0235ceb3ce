// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {WorkerStatus} from "./IWorkerRegistry.sol";

/// @notice Life cycle of a round.
enum RoundStatus {
    None,
    Open,
    Closed,
    Abandoned
}

/// @notice A round as stored: two slots. What it was opened over (its workers and
/// commitments) is kept as one hash, the data itself is in the RoundOpened event and is passed
/// again to close; the outputs commitment is only in RoundClosed. Storing them instead would
/// cost ~22k gas per value (~20k more per worker for the list).
struct Round {
    RoundStatus status;
    uint40 openedAt;
    /// The round must be closed by this time; after it, it can only be abandoned.
    uint40 deadline;
    uint8 workerCount;
    /// keccak256(abi.encodePacked(requestCommitment, evaluationCommitment, workerIds)).
    bytes32 fingerprint;
}

/// @notice The commitments a round is closed with: the two it was opened with, and the
/// outputs commitment (Poseidon of the workers' canary outputs), new at close.
struct RoundCommitments {
    uint256 request;
    uint256 evaluation;
    uint256 outputs;
}

/// @notice Why a worker can be terminated: None (it cannot), Outlier (its usefulness lies 3
/// standard deviations, and at least 3 * MIN_SIGMA, below its capability's mean) or Strikes
/// (strikeLimit strikes: rounds under the score floor, less rounds at or above it).
enum Termination {
    None,
    Outlier,
    Strikes
}

/// @notice A Groth16 proof over BN254, coordinates as the verifier expects them.
struct Groth16Proof {
    uint256[2] a;
    uint256[2][2] b;
    uint256[2] c;
}

/// @notice Economic and safety parameters of the oracle, set by its admin.
struct OracleParams {
    /// SWT (wei) minted per score point to a rewarded worker used within the last instant;
    /// reward = baseRate * score / (1 + hoursSinceLastUse / 24). Above zero.
    uint256 baseRate;
    /// Workers scoring below this are slashed and never rewarded: 10-90 (below 10 a guesser
    /// of a ten-class task passes; above 90 one missed canary punishes a good worker).
    uint8 scoreFloor;
    /// Share of the stake slashed from a worker under the floor, in basis points: 100-5000
    /// (under 1 % a bad worker pays nothing to speak of; over 50 % one failed round ruins it).
    uint16 slashBps;
    /// Strikes that make a worker terminable: 2-10. A round under the floor adds a strike, a
    /// round at or above it takes one away (one unlucky draw must never end a worker, one
    /// lucky draw must not save a useless one; past ten a useless one plays for too long).
    uint8 strikeLimit;
    /// Share of the remaining stake slashed when a worker is terminated, in basis points:
    /// 100-5000. Half goes to whoever called for the termination (a bounty), half to the
    /// treasury.
    uint16 terminationBps;
    /// Most workers one round may hold: at most the scoring circuit's k, the verifier's
    /// publicInputCount() - 4 score slots.
    uint8 maxWorkersPerRound;
    /// The 3-sigma rule applies once this many active workers have a score. Below 11 no
    /// single score can lie 3 sigma under the mean at all (Samuelson's inequality bounds it
    /// by sqrt(n - 1) sigma), so anything smaller is rejected; the default is 16.
    uint32 minPopulation;
    /// Seconds a round may stay open; after that it can only be abandoned. Must be shorter
    /// than the registry's unbonding delay, so a worker cannot unbond out of an open round.
    uint32 roundTimeout;
    /// Receives slashed stake when a round has no rewarded worker to share it.
    address treasury;
}

/// @title IUtilityOracle
/// @notice Opens service rounds over chosen workers and closes each one exactly once with a
/// Groth16 proof of the workers' canary scores. On close it records the scores, mints SWT to
/// the top 3, slashes workers under the score floor (the slashed stake goes to the round's
/// rewarded workers, or to the treasury when there are none) and terminates workers whose
/// usefulness lies more than 3 standard deviations below the population mean.
/// Termination is also open to anyone at any time ({terminate}), for a bounty.
///
/// Idle decay runs on the capability's clock: a round's rewards decay with the time since
/// the previous round of the same capability, the same for every worker of the round. A
/// worker's own last use would pay churn (a fresh identity has no idle time) or punish
/// newcomers (whatever time it is given); the capability's clock measures demand.
///
/// The proof's public signals, in order: round id, request commitment, evaluation
/// commitment, outputs commitment, the duplicates mask, then one score per worker in round
/// order, then zeros up to the verifier's publicInputCount() (a round may hold fewer workers
/// than the circuit's k score slots). The verifier is fixed at construction and must expect at
/// least 6 signals; maxWorkersPerRound can never exceed its publicInputCount() - 5.
///
/// Copies earn nothing. A round lists its workers in registration order, and the proof's
/// duplicates mask has bit i set when worker i's canary answers equal, byte for byte, those
/// of a worker listed before it and miss at least one canary: a later registrant repeating an
/// earlier one's mistakes. Such a worker is paid nothing and shares no slashed stake for the
/// round (it keeps its place among the round's best three, so no reward passes down to a
/// weaker worker), and the round does not
/// count towards its usefulness (a copy never earns a usefulness of its own, so it stays a
/// newcomer; an honest model that happened to agree keeps the usefulness it earned). It is
/// slashed like any worker when its own score is under the floor (so two failing workers
/// cannot shield each other). Ties in score go to the earlier registrant.
interface IUtilityOracle {
    /// @notice A round holds 1 to `max` workers (or a proof has `max` score slots), not `count`.
    error UtilityOracleBadWorkerCount(uint256 count, uint256 max);
    /// @notice Worker `id` cannot enter a round: its status is `status`.
    error UtilityOracleWorkerNotActive(bytes32 id, WorkerStatus status);
    /// @notice Worker `id` appears twice in the round.
    error UtilityOracleDuplicateWorker(bytes32 id);
    /// @notice A round lists its workers in registration order; worker `id` comes too early.
    error UtilityOracleWorkerOutOfOrder(bytes32 id);
    /// @notice `value` is not an element of the BN254 scalar field.
    error UtilityOracleNotInField(uint256 value);
    /// @notice Round `roundId` is not open (its status is `status`).
    error UtilityOracleRoundNotOpen(uint256 roundId, RoundStatus status);
    /// @notice Round `roundId` expired at `deadline`; it can only be abandoned.
    error UtilityOracleRoundExpired(uint256 roundId, uint256 deadline);
    /// @notice Only an operator may abandon round `roundId` before `deadline`.
    error UtilityOracleRoundNotExpired(uint256 roundId, uint256 deadline);
    /// @notice The worker ids or commitments given are not the ones round `roundId` was
    /// opened with.
    error UtilityOracleRoundMismatch(uint256 roundId);
    /// @notice `expected` scores are needed (one per worker), `actual` were given.
    error UtilityOracleScoreCountMismatch(uint256 expected, uint256 actual);
    /// @notice Score number `index` is `score`; scores are 0-100.
    error UtilityOracleScoreOutOfRange(uint256 index, uint256 score);
    /// @notice This oracle has no verifier, so no round can be closed.
    error UtilityOracleNoVerifier();
    /// @notice The proof does not verify for round `roundId` with the given signals.
    error UtilityOracleInvalidProof(uint256 roundId);
    /// @notice The workers of a round must share one capability; `id` does not.
    error UtilityOracleMixedCapabilities(bytes32 id);
    /// @notice The exploration seed must come from one of the SEED_WINDOW blocks before this
    /// one; block `seedBlock` does not.
    error UtilityOracleStaleSeed(uint256 seedBlock, uint256 blockNumber);
    /// @notice Worker `id` does not qualify for termination, or is not active (`status`).
    error UtilityOracleNotTerminable(bytes32 id, WorkerStatus status);
    /// @notice Parameter `name` has the invalid value `value` (`publicInputCount` names a
    /// verifier that expects too few public signals).
    error UtilityOracleInvalidParameter(string name, uint256 value);

    /// @notice Round `roundId` opened over `workerIds` with its commitments; it must close by
    /// `deadline`. The workers were chosen with the hash of block `seedBlock` as the
    /// exploration seed, so anyone can re-derive the choice.
    event RoundOpened(
        uint256 indexed roundId,
        bytes32[] workerIds,
        uint256 requestCommitment,
        uint256 evaluationCommitment,
        uint256 deadline,
        uint256 seedBlock
    );
    /// @notice Round `roundId` closed with a valid proof over `scores`.
    event RoundClosed(uint256 indexed roundId, uint256 outputsCommitment, uint8[] scores);
    /// @notice Round `roundId` was abandoned by `by`: nothing was paid or slashed.
    event RoundAbandoned(uint256 indexed roundId, address indexed by);
    /// @notice Worker `workerId` earned `amount` SWT in round `roundId`, minted to `owner`.
    event RewardMinted(uint256 indexed roundId, bytes32 indexed workerId, address indexed owner, uint256 amount);
    /// @notice `amount` SWT slashed in round `roundId` was paid to `to`.
    event SlashDistributed(uint256 indexed roundId, address indexed to, uint256 amount);
    /// @notice Worker `workerId`'s canary answers in round `roundId` equal those of a worker
    /// registered before it: it earns nothing for the round, which leaves its usefulness as it
    /// was.
    event DuplicateAnswers(uint256 indexed roundId, bytes32 indexed workerId);
    /// @notice Worker `workerId` was terminated for `reason`, in the close of round `roundId`
    /// (zero: by a call to {terminate}) called by `by`. `slashed` of its stake was taken:
    /// `bounty` to `by`, the rest to the treasury.
    event WorkerEliminated(
        uint256 indexed roundId,
        bytes32 indexed workerId,
        address indexed by,
        Termination reason,
        uint16 usefulness,
        uint256 slashed,
        uint256 bounty
    );
    /// @notice The parameters changed.
    event ParamsChanged(OracleParams params);

    /// @notice Opens a round over `workerIds` (all active, of one capability, in registration
    /// order, no repeats), binding the request and the hidden evaluation set by their
    /// commitments, and naming the block whose hash seeded the choice of workers (one of the
    /// SEED_WINDOW blocks before this one). Only an operator.
    function openRound(
        bytes32[] calldata workerIds,
        uint256 requestCommitment,
        uint256 evaluationCommitment,
        uint256 seedBlock
    ) external returns (uint256 roundId);

    /// @notice Closes round `roundId` with the workers' `scores`, the `duplicates` mask and a
    /// proof of them; records scores, mints rewards, slashes and terminates. `workerIds` and
    /// the request and evaluation commitments must be those the round was opened with. Only
    /// an operator; exactly once.
    function closeRound(
        uint256 roundId,
        bytes32[] calldata workerIds,
        RoundCommitments calldata commitments,
        uint256 duplicates,
        uint8[] calldata scores,
        Groth16Proof calldata proof
    ) external;

    /// @notice Abandons an open round: nothing paid, nothing slashed. An operator may do it at
    /// any time, anyone once the round has expired.
    function abandonRound(uint256 roundId) external;

    /// @notice The public signals a proof for closing `roundId` must carry: round id, request
    /// commitment, evaluation commitment, outputs commitment, `duplicates`, `scores`, then
    /// zeros, in all the verifier's publicInputCount() entries (5 + maxWorkersPerRound without
    /// a verifier). Reverts with UtilityOracleBadWorkerCount when `scores` do not fit.
    function publicSignals(
        uint256 roundId,
        RoundCommitments calldata commitments,
        uint256 duplicates,
        uint8[] calldata scores
    )
        external
        view
        returns (uint256[] memory);

    /// @notice The fingerprint a round opened over `workerIds` with these commitments stores.
    function fingerprint(bytes32[] calldata workerIds, uint256 requestCommitment, uint256 evaluationCommitment)
        external
        pure
        returns (bytes32);

    /// @notice The reward a worker with `score` earns `idleSeconds` after its capability's
    /// previous round: baseRate * score * 86400 / (86400 + idleSeconds), rounded down; this is
    /// exactly baseRate * score / (1 + idleHours / 24) with hours measured to the second.
    function rewardFor(uint256 score, uint256 idleSeconds) external view returns (uint256);

    /// @notice True if a usefulness score `usefulness` lies more than 3 standard deviations,
    /// and more than 3 * MIN_SIGMA, below the mean of `capability`'s active, scored workers
    /// and that population is at least `minPopulation` strong. The floor on sigma is what a
    /// degenerate population cannot beat: when all other workers score alike, sigma shrinks
    /// toward zero and any gap, however small, is many sigmas. Exact integer arithmetic.
    function isOutlier(bytes32 capability, uint256 usefulness) external view returns (bool);

    /// @notice Whether the worker `id` can be terminated now, and why (None: it cannot).
    function terminable(bytes32 id) external view returns (Termination);

    /// @notice Terminates the worker `id` if it qualifies ({terminable}); anyone may call.
    /// terminationBps of its stake is slashed: half to the caller as a bounty, half to the
    /// treasury. Reverts with UtilityOracleNotTerminable otherwise, paying nothing.
    function terminate(bytes32 id) external returns (uint256 bounty);

    /// @notice When `capability` last had a round closed (zero: never): the clock of its idle
    /// decay.
    function lastRoundAt(bytes32 capability) external view returns (uint256);

    /// @notice The round `roundId`.
    function round(uint256 roundId) external view returns (Round memory);

    /// @notice The id of the latest round (0 before the first).
    function lastRoundId() external view returns (uint256);

    /// @notice The current parameters.
    function params() external view returns (OracleParams memory);

    /// @notice The proof verifier (zero: rounds cannot be closed).
    function verifier() external view returns (address);

    /// @notice Role allowed to open, close and abandon rounds.
    function OPERATOR_ROLE() external view returns (bytes32);
}
