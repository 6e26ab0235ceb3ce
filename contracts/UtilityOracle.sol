// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IGroth16Verifier} from "./interfaces/IGroth16Verifier.sol";
import {ISWT} from "./interfaces/ISWT.sol";
import {
    IUtilityOracle, Groth16Proof, OracleParams, Round, RoundCommitments, RoundStatus, Termination
} from "./interfaces/IUtilityOracle.sol";
import {IWorkerRegistry, Worker, WorkerStatus} from "./interfaces/IWorkerRegistry.sol";

/// @title UtilityOracle
/// @notice Proof-of-utility rounds: open over chosen workers, close once with a Groth16 proof
/// of their canary scores, then pay the best and punish the worst. See {IUtilityOracle}.
contract UtilityOracle is IUtilityOracle, AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @notice Order of the BN254 scalar field: every public signal must be below it.
    uint256 public constant SNARK_SCALAR_FIELD =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @notice The smallest population for which a 3-sigma outlier can exist (Samuelson).
    uint32 public constant MIN_POPULATION_FLOOR = 11;

    /// @notice Number of workers rewarded per round.
    uint256 public constant REWARDED_PER_ROUND = 3;

    /// @notice Public signals before the scores: round id, the three commitments and the
    /// duplicates mask.
    uint256 public constant SIGNALS_BEFORE_SCORES = 5;

    /// @notice Bounds of the score floor (see {OracleParams}).
    uint8 public constant MIN_SCORE_FLOOR = 10;
    uint8 public constant MAX_SCORE_FLOOR = 90;

    /// @notice Bounds of the slashed share of stake, in basis points (see {OracleParams}).
    uint16 public constant MIN_SLASH_BPS = 100;
    uint16 public constant MAX_SLASH_BPS = 5_000;

    /// @notice Bounds of the strikes that terminate a worker (see {OracleParams}).
    uint8 public constant MIN_STRIKE_LIMIT = 2;
    uint8 public constant MAX_STRIKE_LIMIT = 10;

    /// @notice The least standard deviation the 3-sigma rule assumes, in hundredths of a
    /// point: 5 points, about the spread of one worker's score over 16 canaries. Termination
    /// by the rule needs a gap of 15 points at least, however alike the other workers are.
    uint256 public constant MIN_SIGMA = 500;

    /// @notice How recent the block seeding a round's choice of workers must be.
    uint256 public constant SEED_WINDOW = 16;

    /// @notice Share of a termination's slash paid to its caller, in basis points.
    uint256 public constant BOUNTY_SHARE_BPS = 5_000;

    /// @inheritdoc IUtilityOracle
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");

    ISWT private immutable _swt;
    IWorkerRegistry private immutable _registry;
    IGroth16Verifier private immutable _verifier;
    /// @dev The verifier's publicInputCount(), read once; zero when there is no verifier.
    uint256 private immutable _publicInputCount;

    OracleParams private _params;
    uint256 private _lastRoundId;
    mapping(uint256 roundId => Round) private _rounds;
    mapping(bytes32 capability => uint256 timestamp) private _lastRoundAt;

    /*//////////////////////////////////////////////////////////////
                               CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    /// @param swt The reward token; this contract must be its minter.
    /// @param registry The worker registry; this contract must be its oracle.
    /// @param verifier_ The proof verifier, or zero for an oracle that can open but not close
    /// rounds (no verifier yet). It must expect at least SIGNALS_BEFORE_SCORES + 1 public
    /// signals, and rounds may then hold at most that many minus SIGNALS_BEFORE_SCORES workers.
    /// @param params_ The initial parameters.
    /// @param admin Gets the admin and operator roles.
    constructor(
        ISWT swt,
        IWorkerRegistry registry,
        IGroth16Verifier verifier_,
        OracleParams memory params_,
        address admin
    ) {
        _swt = swt;
        _registry = registry;
        _verifier = verifier_;
        uint256 signalCount;
        if (address(verifier_) != address(0)) {
            signalCount = verifier_.publicInputCount();
            if (signalCount <= SIGNALS_BEFORE_SCORES) {
                revert UtilityOracleInvalidParameter("publicInputCount", signalCount);
            }
        }
        _publicInputCount = signalCount;
        _setParams(params_);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(OPERATOR_ROLE, admin);
    }

    /*//////////////////////////////////////////////////////////////
                              ADMINISTRATION
    //////////////////////////////////////////////////////////////*/

    /// @notice Replaces the parameters. Only the admin. Rounds already open keep their deadline.
    function setParams(OracleParams calldata newParams) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setParams(newParams);
    }

    /*//////////////////////////////////////////////////////////////
                                  ROUNDS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IUtilityOracle
    function openRound(
        bytes32[] calldata workerIds,
        uint256 requestCommitment,
        uint256 evaluationCommitment,
        uint256 seedBlock
    ) external onlyRole(OPERATOR_ROLE) returns (uint256 roundId) {
        uint256 n = workerIds.length;
        uint256 maxWorkers = _params.maxWorkersPerRound;
        if (n == 0 || n > maxWorkers) revert UtilityOracleBadWorkerCount(n, maxWorkers);
        _requireInField(requestCommitment);
        _requireInField(evaluationCommitment);
        if (seedBlock >= block.number || block.number - seedBlock > SEED_WINDOW) {
            revert UtilityOracleStaleSeed(seedBlock, block.number);
        }
        uint256 previousSerial;
        bytes32 capability;
        for (uint256 i = 0; i < n; ++i) {
            bytes32 id = workerIds[i];
            (, WorkerStatus status,, uint256 serial, bytes32 workerCapability) = _registry.standingOf(id);
            if (status != WorkerStatus.Active) revert UtilityOracleWorkerNotActive(id, status);
            if (i == 0) capability = workerCapability;
            else if (workerCapability != capability) revert UtilityOracleMixedCapabilities(id);
            // Registration order, strictly: the duplicates mask names later registrants.
            if (serial == previousSerial) revert UtilityOracleDuplicateWorker(id);
            if (serial < previousSerial) revert UtilityOracleWorkerOutOfOrder(id);
            previousSerial = serial;
        }

        roundId = ++_lastRoundId;
        uint40 deadline = uint40(block.timestamp + _params.roundTimeout);
        _rounds[roundId] = Round({
            status: RoundStatus.Open,
            openedAt: uint40(block.timestamp),
            deadline: deadline,
            workerCount: uint8(n),
            fingerprint: fingerprint(workerIds, requestCommitment, evaluationCommitment)
        });
        emit RoundOpened(roundId, workerIds, requestCommitment, evaluationCommitment, deadline, seedBlock);
    }

    /// @inheritdoc IUtilityOracle
    function closeRound(
        uint256 roundId,
        bytes32[] calldata workerIds,
        RoundCommitments calldata commitments,
        uint256 duplicates,
        uint8[] calldata scores,
        Groth16Proof calldata proof
    ) external onlyRole(OPERATOR_ROLE) nonReentrant {
        Round storage r = _rounds[roundId];
        if (r.status != RoundStatus.Open) revert UtilityOracleRoundNotOpen(roundId, r.status);
        if (block.timestamp > r.deadline) revert UtilityOracleRoundExpired(roundId, r.deadline);
        if (fingerprint(workerIds, commitments.request, commitments.evaluation) != r.fingerprint) {
            revert UtilityOracleRoundMismatch(roundId);
        }
        if (scores.length != workerIds.length) revert UtilityOracleScoreCountMismatch(workerIds.length, scores.length);
        for (uint256 i = 0; i < scores.length; ++i) {
            if (scores[i] > 100) revert UtilityOracleScoreOutOfRange(i, scores[i]);
        }
        _requireInField(commitments.outputs);
        _requireInField(duplicates);
        if (address(_verifier) == address(0)) revert UtilityOracleNoVerifier();
        uint256[] memory signals = _publicSignals(roundId, commitments, duplicates, scores);
        if (!_verifier.verifyProof(proof.a, proof.b, proof.c, signals)) revert UtilityOracleInvalidProof(roundId);

        // Effects before any state-changing call: the round can never be settled twice.
        r.status = RoundStatus.Closed;
        emit RoundClosed(roundId, commitments.outputs, scores);

        _settle(roundId, workerIds, duplicates, scores);
    }

    /// @inheritdoc IUtilityOracle
    function abandonRound(uint256 roundId) external {
        Round storage r = _rounds[roundId];
        if (r.status != RoundStatus.Open) revert UtilityOracleRoundNotOpen(roundId, r.status);
        if (block.timestamp <= r.deadline && !hasRole(OPERATOR_ROLE, msg.sender)) {
            revert UtilityOracleRoundNotExpired(roundId, r.deadline);
        }
        r.status = RoundStatus.Abandoned;
        emit RoundAbandoned(roundId, msg.sender);
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IUtilityOracle
    function publicSignals(
        uint256 roundId,
        RoundCommitments calldata commitments,
        uint256 duplicates,
        uint8[] calldata scores
    ) external view returns (uint256[] memory) {
        return _publicSignals(roundId, commitments, duplicates, scores);
    }

    /// @inheritdoc IUtilityOracle
    function fingerprint(bytes32[] calldata workerIds, uint256 requestCommitment, uint256 evaluationCommitment)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encodePacked(requestCommitment, evaluationCommitment, workerIds));
    }

    /// @inheritdoc IUtilityOracle
    function rewardFor(uint256 score, uint256 idleSeconds) public view returns (uint256) {
        // reward = baseRate * score / (1 + hours / 24) = baseRate * score * 86400 / (86400 + seconds)
        return Math.mulDiv(_params.baseRate * score, 1 days, 1 days + idleSeconds);
    }

    /// @inheritdoc IUtilityOracle
    function isOutlier(bytes32 capability, uint256 usefulness) public view returns (bool) {
        (uint256 n, uint256 sum, uint256 sumSquares) = _registry.populationStats(capability);
        if (n < _params.minPopulation) return false;
        uint256 scaled = n * usefulness;
        if (scaled >= sum) return false;
        // u < mean - 3 max(sigma, MIN_SIGMA), both sides times n: (sum - n u)^2 > 9 max(n
        // sumSquares - sum^2, n^2 MIN_SIGMA^2). n sumSquares >= sum^2 always (Cauchy-Schwarz).
        uint256 gap = sum - scaled;
        uint256 spread = n * sumSquares - sum * sum;
        uint256 least = n * n * MIN_SIGMA * MIN_SIGMA;
        return gap * gap > 9 * (spread > least ? spread : least);
    }

    /// @inheritdoc IUtilityOracle
    function terminable(bytes32 id) public view returns (Termination) {
        Worker memory w = _registry.worker(id);
        if (w.status != WorkerStatus.Active) return Termination.None;
        if (w.strikes >= _params.strikeLimit) return Termination.Strikes;
        if (w.roundsScored > 0 && isOutlier(w.capability, w.usefulness)) return Termination.Outlier;
        return Termination.None;
    }

    /// @inheritdoc IUtilityOracle
    function terminate(bytes32 id) external nonReentrant returns (uint256 bounty) {
        Termination reason = terminable(id);
        if (reason == Termination.None) {
            (, WorkerStatus status,,,) = _registry.standingOf(id);
            revert UtilityOracleNotTerminable(id, status);
        }
        return _terminate(0, id, reason);
    }

    /// @inheritdoc IUtilityOracle
    function lastRoundAt(bytes32 capability) external view returns (uint256) {
        return _lastRoundAt[capability];
    }

    /// @inheritdoc IUtilityOracle
    function round(uint256 roundId) external view returns (Round memory) {
        return _rounds[roundId];
    }

    /// @inheritdoc IUtilityOracle
    function lastRoundId() external view returns (uint256) {
        return _lastRoundId;
    }

    /// @inheritdoc IUtilityOracle
    function params() external view returns (OracleParams memory) {
        return _params;
    }

    /// @inheritdoc IUtilityOracle
    function verifier() external view returns (address) {
        return address(_verifier);
    }

    /// @notice The reward token.
    function swt() external view returns (address) {
        return address(_swt);
    }

    /// @notice The worker registry.
    function registry() external view returns (address) {
        return address(_registry);
    }

    /*//////////////////////////////////////////////////////////////
                                SETTLEMENT
    //////////////////////////////////////////////////////////////*/

    /// @dev One worker's part in a round's settlement.
    struct Settlement {
        address owner;
        bool active;
        /// Gave the answers of a worker registered before it: earns nothing.
        bool duplicate;
        uint16 usefulness;
        uint8 strikes;
        bytes32 capability;
    }

    /// @dev Records scores, slashes, shares the slashed stake among the winners, mints rewards
    /// (decayed on the capability's clock) and terminates the round's workers that qualify.
    /// Every call goes to our own registry and token.
    function _settle(uint256 roundId, bytes32[] calldata workerIds, uint256 duplicates, uint8[] calldata scores)
        private
    {
        OracleParams memory p = _params;
        uint256 n = workerIds.length;
        Settlement[] memory entries = new Settlement[](n);
        uint256 slashed;
        for (uint256 i = 0; i < n; ++i) {
            entries[i].duplicate = (duplicates >> i) & 1 == 1;
            if (entries[i].duplicate) emit DuplicateAnswers(roundId, workerIds[i]);
            slashed += _scoreWorker(workerIds[i], scores[i], p, entries[i]);
        }

        uint256[] memory winners = _topWorkers(scores, entries, p.scoreFloor);
        _distributeSlash(roundId, slashed, winners, entries, p.treasury);

        // Every worker of a round has the round's capability (openRound checks it).
        bytes32 capability = entries[0].capability;
        _mintRewards(roundId, workerIds, scores, entries, winners, _tickClock(capability));

        // The population statistics now hold every score of this round.
        for (uint256 i = 0; i < n; ++i) {
            Settlement memory e = entries[i];
            if (!e.active) continue;
            Termination reason = Termination.None;
            if (e.strikes >= p.strikeLimit) reason = Termination.Strikes;
            else if (!e.duplicate && isOutlier(capability, e.usefulness)) reason = Termination.Outlier;
            if (reason != Termination.None) _terminate(roundId, workerIds[i], reason);
        }
    }

    /// @dev The seconds since `capability`'s previous round (zero for its first), and now
    /// the time of its latest.
    function _tickClock(bytes32 capability) private returns (uint256 idleSeconds) {
        uint256 previousRound = _lastRoundAt[capability];
        idleSeconds = previousRound == 0 ? 0 : block.timestamp - previousRound;
        _lastRoundAt[capability] = block.timestamp;
    }

    function _mintRewards(
        uint256 roundId,
        bytes32[] calldata workerIds,
        uint8[] calldata scores,
        Settlement[] memory entries,
        uint256[] memory winners,
        uint256 idleSeconds
    ) private {
        for (uint256 k = 0; k < winners.length; ++k) {
            uint256 i = winners[k];
            uint256 reward = rewardFor(scores[i], idleSeconds);
            if (reward > 0) {
                emit RewardMinted(roundId, workerIds[i], entries[i].owner, reward);
                _swt.mint(entries[i].owner, reward);
            }
        }
    }

    /// @dev Terminates an active worker, slashing terminationBps of its stake: half to the
    /// caller, the rest to the treasury.
    function _terminate(uint256 roundId, bytes32 id, Termination reason) private returns (uint256 bounty) {
        OracleParams memory p = _params;
        (,, uint256 stake,,) = _registry.standingOf(id);
        uint16 usefulness = _registry.worker(id).usefulness;
        _registry.terminate(id);
        uint256 slashed = _registry.slash(id, (stake * p.terminationBps) / 10_000, address(this));
        bounty = (slashed * BOUNTY_SHARE_BPS) / 10_000;
        emit WorkerEliminated(roundId, id, msg.sender, reason, usefulness, slashed, bounty);
        IERC20 token = IERC20(address(_swt));
        if (bounty > 0) token.safeTransfer(msg.sender, bounty);
        if (slashed > bounty) token.safeTransfer(p.treasury, slashed - bounty);
    }

    /// @dev Records the score of an active worker (a duplicate's leaves its usefulness as it
    /// was) and slashes any bonded worker under the floor (exiting and terminated workers still
    /// answer for the rounds they played; a duplicate answers for its own score, or two
    /// failing workers would shield each other). Fills `entry`; returns the amount slashed.
    function _scoreWorker(bytes32 id, uint8 score, OracleParams memory p, Settlement memory entry)
        private
        returns (uint256 slashed)
    {
        (address owner, WorkerStatus status, uint256 stake,, bytes32 capability) = _registry.standingOf(id);
        entry.owner = owner;
        entry.capability = capability;
        if (status == WorkerStatus.Active) {
            entry.active = true;
            (entry.usefulness, entry.strikes) = _registry.recordScore(id, score, entry.duplicate, p.scoreFloor);
        }
        if (score < p.scoreFloor && stake > 0 && status != WorkerStatus.Withdrawn) {
            slashed = _registry.slash(id, (stake * p.slashBps) / 10_000, address(this));
        }
    }

    /// @dev Indices of the paid winners, best first: of the three active workers with the best
    /// scores at or above the floor (and above zero), those that are not duplicates. A
    /// duplicate keeps its place and forfeits its pay, so repeating another worker's mistakes
    /// never hands a reward down to a weaker worker. Ties go to the worker listed first in the
    /// round, which is the earlier registrant.
    function _topWorkers(uint8[] calldata scores, Settlement[] memory entries, uint8 floor)
        private
        pure
        returns (uint256[] memory winners)
    {
        uint256 n = scores.length;
        bool[] memory taken = new bool[](n);
        uint256[] memory picked = new uint256[](REWARDED_PER_ROUND);
        uint256 count;
        for (; count < REWARDED_PER_ROUND; ++count) {
            uint256 best = type(uint256).max;
            for (uint256 i = 0; i < n; ++i) {
                Settlement memory e = entries[i];
                if (taken[i] || !e.active || scores[i] == 0 || scores[i] < floor) continue;
                if (best == type(uint256).max || scores[i] > scores[best]) best = i;
            }
            if (best == type(uint256).max) break;
            taken[best] = true;
            picked[count] = best;
        }
        uint256 paid;
        for (uint256 k = 0; k < count; ++k) {
            if (!entries[picked[k]].duplicate) picked[paid++] = picked[k];
        }
        winners = new uint256[](paid);
        for (uint256 k = 0; k < paid; ++k) {
            winners[k] = picked[k];
        }
    }

    /// @dev Shares `amount` of slashed stake (held by this contract) equally among the
    /// winners' owners, the first winner taking the remainder; the treasury takes it all when
    /// there is no winner.
    function _distributeSlash(
        uint256 roundId,
        uint256 amount,
        uint256[] memory winners,
        Settlement[] memory entries,
        address treasury
    ) private {
        if (amount == 0) return;
        IERC20 token = IERC20(address(_swt));
        uint256 w = winners.length;
        if (w == 0) {
            emit SlashDistributed(roundId, treasury, amount);
            token.safeTransfer(treasury, amount);
            return;
        }
        uint256 share = amount / w;
        for (uint256 k = 0; k < w; ++k) {
            uint256 paid = k == 0 ? amount - share * (w - 1) : share;
            address to = entries[winners[k]].owner;
            emit SlashDistributed(roundId, to, paid);
            token.safeTransfer(to, paid);
        }
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @dev [roundId, requestCommitment, evaluationCommitment, outputsCommitment, duplicates,
    /// scores..., zeros...]: as many entries as the verifier expects (without a verifier, one score slot
    /// per allowed worker). In closeRound the scores always fit: a round holds at most
    /// maxWorkersPerRound workers, which _setParams keeps within the verifier's slots.
    function _publicSignals(
        uint256 roundId,
        RoundCommitments calldata commitments,
        uint256 duplicates,
        uint8[] calldata scores
    ) private view returns (uint256[] memory signals) {
        uint256 count = _publicInputCount;
        if (count == 0) count = SIGNALS_BEFORE_SCORES + _params.maxWorkersPerRound;
        uint256 slots = count - SIGNALS_BEFORE_SCORES;
        if (scores.length > slots) revert UtilityOracleBadWorkerCount(scores.length, slots);
        signals = new uint256[](count); // zeroed: the padding after the scores
        signals[0] = roundId;
        signals[1] = commitments.request;
        signals[2] = commitments.evaluation;
        signals[3] = commitments.outputs;
        signals[4] = duplicates;
        for (uint256 i = 0; i < scores.length; ++i) {
            signals[SIGNALS_BEFORE_SCORES + i] = scores[i];
        }
    }

    function _requireInField(uint256 value) private pure {
        if (value >= SNARK_SCALAR_FIELD) revert UtilityOracleNotInField(value);
    }

    /// @dev Every worker of a round needs a score slot in the proof's public signals, so
    /// maxWorkersPerRound is bounded by the verifier's publicInputCount() (when there is one).
    function _setParams(OracleParams memory p) private {
        uint256 signalCount = _publicInputCount;
        if (p.baseRate == 0) revert UtilityOracleInvalidParameter("baseRate", 0);
        if (p.scoreFloor < MIN_SCORE_FLOOR || p.scoreFloor > MAX_SCORE_FLOOR) {
            revert UtilityOracleInvalidParameter("scoreFloor", p.scoreFloor);
        }
        if (p.slashBps < MIN_SLASH_BPS || p.slashBps > MAX_SLASH_BPS) {
            revert UtilityOracleInvalidParameter("slashBps", p.slashBps);
        }
        if (p.strikeLimit < MIN_STRIKE_LIMIT || p.strikeLimit > MAX_STRIKE_LIMIT) {
            revert UtilityOracleInvalidParameter("strikeLimit", p.strikeLimit);
        }
        if (p.terminationBps < MIN_SLASH_BPS || p.terminationBps > MAX_SLASH_BPS) {
            revert UtilityOracleInvalidParameter("terminationBps", p.terminationBps);
        }
        uint256 maxWorkers = p.maxWorkersPerRound;
        if (maxWorkers == 0 || (signalCount != 0 && maxWorkers > signalCount - SIGNALS_BEFORE_SCORES)) {
            revert UtilityOracleInvalidParameter("maxWorkersPerRound", maxWorkers);
        }
        if (p.minPopulation < MIN_POPULATION_FLOOR) {
            revert UtilityOracleInvalidParameter("minPopulation", p.minPopulation);
        }
        if (p.roundTimeout == 0 || p.roundTimeout >= _registry.unbondingDelay()) {
            revert UtilityOracleInvalidParameter("roundTimeout", p.roundTimeout);
        }
        if (p.treasury == address(0)) revert UtilityOracleInvalidParameter("treasury", 0);
        _params = p;
        emit ParamsChanged(p);
    }
}
