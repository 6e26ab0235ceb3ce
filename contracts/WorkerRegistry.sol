// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IWorkerRegistry, Worker, WorkerStatus} from "./interfaces/IWorkerRegistry.sol";

/// @title WorkerRegistry
/// @notice Staked registry of MemJit workers. See {IWorkerRegistry}.
/// @dev Invariant: `totalStaked() == sum of all workers' stake <= token.balanceOf(this)`, with
/// equality unless someone transfers SWT to the registry directly. Every function that moves
/// tokens updates the books first and transfers last (checks-effects-interactions), and is
/// `nonReentrant` as well.
contract WorkerRegistry is IWorkerRegistry, Ownable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @notice Longest CID accepted, in bytes (a CIDv1 in base32 is 59; leave room for others).
    uint256 public constant MAX_CID_LENGTH = 128;

    /// @notice Rounds the usefulness score averages over, at most: below it, it is the mean
    /// of every round and the prior; from it on, the newest round weighs 1/USEFULNESS_WINDOW.
    uint256 public constant USEFULNESS_WINDOW = 16;

    /// @notice Pseudo-rounds the prior (the population mean) counts for in a usefulness score.
    uint256 public constant PRIOR_ROUNDS = 1;


    IERC20 private immutable _token;
    uint256 private immutable _unbondingDelay;

    address private _oracle;
    uint256 private _minStake;
    uint256 private _totalStaked;

    mapping(bytes32 id => Worker) private _workers;
    bytes32[] private _ids;
    /// The active workers of each capability, in no particular order once one has left.
    mapping(bytes32 capability => bytes32[] ids) private _activeIds;
    /// A worker's position in its capability's active list, plus one (zero: not in it).
    mapping(bytes32 id => uint256 position) private _activePosition;
    mapping(bytes32 cidHash => bytes32 id) private _idByCid;

    /// Running statistics over the usefulness of a capability's active workers with at least
    /// one score (see {populationStats}).
    struct Population {
        uint256 count;
        uint256 sum;
        uint256 sumSquares;
    }

    mapping(bytes32 capability => Population) private _populations;

    /*//////////////////////////////////////////////////////////////
                               CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    /// @param token_ The SWT token staked here.
    /// @param minStake_ Minimum stake to register (the cost of a Sybil identity), above zero.
    /// @param unbondingDelay_ Seconds stake stays bonded after exit or termination.
    constructor(IERC20 token_, uint256 minStake_, uint256 unbondingDelay_) Ownable(msg.sender) {
        if (minStake_ == 0) revert WorkerRegistryZeroMinStake();
        _token = token_;
        _minStake = minStake_;
        _unbondingDelay = unbondingDelay_;
    }

    /*//////////////////////////////////////////////////////////////
                                MODIFIERS
    //////////////////////////////////////////////////////////////*/

    modifier onlyOracle() {
        // Before setOracle the oracle is zero, which no caller can be.
        if (msg.sender != _oracle) revert WorkerRegistryUnauthorizedOracle(msg.sender, _oracle);
        _;
    }

    /*//////////////////////////////////////////////////////////////
                              ADMINISTRATION
    //////////////////////////////////////////////////////////////*/

    /// @notice Sets the UtilityOracle, once. Only the owner.
    function setOracle(address oracle_) external onlyOwner {
        if (_oracle != address(0)) revert WorkerRegistryOracleAlreadySet(_oracle);
        if (oracle_ == address(0)) revert WorkerRegistryZeroOracle();
        _oracle = oracle_;
        emit OracleSet(oracle_);
    }

    /// @notice Changes the minimum stake for new registrations (above zero). Only the owner.
    function setMinStake(uint256 newMinStake) external onlyOwner {
        if (newMinStake == 0) revert WorkerRegistryZeroMinStake();
        emit MinStakeChanged(_minStake, newMinStake);
        _minStake = newMinStake;
    }

    /*//////////////////////////////////////////////////////////////
                                 STAKING
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IWorkerRegistry
    function register(string calldata cid, uint256 stake, bytes32 capability)
        external
        nonReentrant
        returns (bytes32 id)
    {
        return _register(cid, stake, capability);
    }

    /// @inheritdoc IWorkerRegistry
    function registerWithPermit(
        string calldata cid,
        uint256 stake,
        bytes32 capability,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant returns (bytes32 id) {
        _permit(stake, deadline, v, r, s);
        return _register(cid, stake, capability);
    }

    /// @inheritdoc IWorkerRegistry
    function addStake(bytes32 id, uint256 amount) external nonReentrant {
        _addStake(id, amount);
    }

    /// @inheritdoc IWorkerRegistry
    function addStakeWithPermit(bytes32 id, uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external
        nonReentrant
    {
        _permit(amount, deadline, v, r, s);
        _addStake(id, amount);
    }

    /// @inheritdoc IWorkerRegistry
    function exit(bytes32 id) external {
        Worker storage w = _ownedWorker(id);
        if (w.status != WorkerStatus.Active) revert WorkerRegistryWrongStatus(id, w.status);
        _leaveSelection(id, w);
        w.status = WorkerStatus.Exiting;
        uint40 unbondsAt = SafeCast.toUint40(block.timestamp + _unbondingDelay);
        w.unbondsAt = unbondsAt;
        emit WorkerExited(id, unbondsAt);
    }

    /// @inheritdoc IWorkerRegistry
    function withdraw(bytes32 id) external nonReentrant returns (uint256 amount) {
        Worker storage w = _ownedWorker(id);
        if (w.status != WorkerStatus.Exiting && w.status != WorkerStatus.Terminated) {
            revert WorkerRegistryWrongStatus(id, w.status);
        }
        if (block.timestamp < w.unbondsAt) revert WorkerRegistryStillUnbonding(id, w.unbondsAt, block.timestamp);
        amount = w.stake;
        w.stake = 0;
        w.status = WorkerStatus.Withdrawn;
        _totalStaked -= amount;
        emit StakeWithdrawn(id, msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /*//////////////////////////////////////////////////////////////
                               ORACLE ONLY
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IWorkerRegistry
    function slash(bytes32 id, uint256 amount, address to)
        external
        onlyOracle
        nonReentrant
        returns (uint256 slashed)
    {
        if (to == address(0)) revert WorkerRegistryZeroRecipient();
        Worker storage w = _existingWorker(id);
        WorkerStatus status = w.status;
        if (status == WorkerStatus.Withdrawn) revert WorkerRegistryWrongStatus(id, status);
        uint256 stake = w.stake;
        slashed = amount < stake ? amount : stake;
        if (slashed == 0) return 0;
        // unchecked: slashed <= stake <= _totalStaked.
        unchecked {
            w.stake = uint128(stake - slashed);
            _totalStaked -= slashed;
        }
        emit WorkerSlashed(id, slashed, to);
        _token.safeTransfer(to, slashed);
    }

    /// @inheritdoc IWorkerRegistry
    function terminate(bytes32 id) external onlyOracle {
        Worker storage w = _existingWorker(id);
        if (w.status != WorkerStatus.Active) revert WorkerRegistryWrongStatus(id, w.status);
        _leaveSelection(id, w);
        w.status = WorkerStatus.Terminated;
        uint40 unbondsAt = SafeCast.toUint40(block.timestamp + _unbondingDelay);
        w.unbondsAt = unbondsAt;
        emit WorkerTerminated(id, unbondsAt);
    }

    /// @inheritdoc IWorkerRegistry
    function recordScore(bytes32 id, uint8 score, bool duplicate, uint8 floor)
        external
        onlyOracle
        returns (uint16 usefulness, uint8 strikes)
    {
        if (score > 100) revert WorkerRegistryInvalidScore(score);
        Worker storage w = _existingWorker(id);
        if (w.status != WorkerStatus.Active) revert WorkerRegistryWrongStatus(id, w.status);
        // A round under the floor adds a strike, one at or above it takes one away: a lucky
        // round does not wipe a useless worker's record, an unlucky one fades.
        strikes = w.strikes;
        if (score < floor) {
            if (strikes < type(uint8).max) ++strikes;
        } else if (strikes > 0) {
            --strikes;
        }
        w.strikes = strikes;
        w.lastScore = score;
        w.lastUsed = uint40(block.timestamp);
        usefulness = w.usefulness;
        if (!duplicate) {
            Population storage pop = _populations[w.capability];
            uint256 rounds = w.roundsScored;
            uint256 previous;
            if (rounds == 0) {
                // The first scored worker of a capability has no population to be shrunk
                // toward: it starts from its own score.
                previous = pop.count == 0 ? uint256(score) * 100 : pop.sum / pop.count;
                pop.count += 1;
            } else {
                previous = usefulness;
                // unchecked: `previous` is part of the running sums, which therefore hold it.
                unchecked {
                    pop.sum -= previous;
                    pop.sumSquares -= previous * previous;
                }
            }
            uint256 updated = usefulnessAfter(previous, rounds, score);
            pop.sum += updated;
            pop.sumSquares += updated * updated;
            usefulness = uint16(updated); // <= 10000: between two values <= 10000
            w.usefulness = usefulness;
            if (rounds < type(uint24).max) w.roundsScored = uint24(rounds + 1);
        }
        emit ScoreRecorded(id, score, usefulness, w.roundsScored, strikes);
    }

    /// @notice A usefulness score after a round scoring `score`, from `previous` (the prior,
    /// when `rounds` is zero) over `rounds` scored rounds: previous + (score - previous) / d
    /// with d = min(rounds + 1 + PRIOR_ROUNDS, USEFULNESS_WINDOW), rounded toward previous.
    function usefulnessAfter(uint256 previous, uint256 rounds, uint8 score) public pure returns (uint256) {
        uint256 scaled = uint256(score) * 100;
        uint256 d = rounds + 1 + PRIOR_ROUNDS;
        if (d > USEFULNESS_WINDOW) d = USEFULNESS_WINDOW;
        return scaled >= previous ? previous + (scaled - previous) / d : previous - (previous - scaled) / d;
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IWorkerRegistry
    function worker(bytes32 id) external view returns (Worker memory) {
        return _workers[id];
    }

    /// @inheritdoc IWorkerRegistry
    function standingOf(bytes32 id)
        external
        view
        returns (address owner_, WorkerStatus status, uint256 stake, uint256 serial, bytes32 capability)
    {
        Worker storage w = _workers[id];
        return (w.owner, w.status, w.stake, w.serial, w.capability);
    }

    /// @inheritdoc IWorkerRegistry
    function workerIdOfCid(string calldata cid) external view returns (bytes32) {
        return _idByCid[keccak256(bytes(cid))];
    }

    /// @inheritdoc IWorkerRegistry
    function workerId(address owner_, string calldata cid) public pure returns (bytes32) {
        return keccak256(abi.encode(owner_, cid));
    }

    /// @inheritdoc IWorkerRegistry
    function workerCount() external view returns (uint256) {
        return _ids.length;
    }

    /// @inheritdoc IWorkerRegistry
    function workerIds(uint256 offset, uint256 limit) external view returns (bytes32[] memory) {
        return _page(_ids, offset, limit);
    }

    /// @inheritdoc IWorkerRegistry
    function capabilityWorkerCount(bytes32 capability) external view returns (uint256) {
        return _activeIds[capability].length;
    }

    /// @inheritdoc IWorkerRegistry
    function capabilityWorkerIds(bytes32 capability, uint256 offset, uint256 limit)
        external
        view
        returns (bytes32[] memory)
    {
        return _page(_activeIds[capability], offset, limit);
    }

    /// @inheritdoc IWorkerRegistry
    function populationStats(bytes32 capability)
        external
        view
        returns (uint256 count, uint256 sum, uint256 sumSquares)
    {
        Population storage pop = _populations[capability];
        return (pop.count, pop.sum, pop.sumSquares);
    }

    /// @inheritdoc IWorkerRegistry
    function totalStaked() external view returns (uint256) {
        return _totalStaked;
    }

    /// @inheritdoc IWorkerRegistry
    function minStake() external view returns (uint256) {
        return _minStake;
    }

    /// @inheritdoc IWorkerRegistry
    function unbondingDelay() external view returns (uint256) {
        return _unbondingDelay;
    }

    /// @inheritdoc IWorkerRegistry
    function oracle() external view returns (address) {
        return _oracle;
    }

    /// @inheritdoc IWorkerRegistry
    function token() external view returns (address) {
        return address(_token);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    function _register(string calldata cid, uint256 stake, bytes32 capability) private returns (bytes32 id) {
        uint256 cidLength = bytes(cid).length;
        if (cidLength == 0 || cidLength > MAX_CID_LENGTH) revert WorkerRegistryInvalidCid(cidLength, MAX_CID_LENGTH);
        if (capability == bytes32(0)) revert WorkerRegistryZeroCapability();
        if (stake < _minStake) revert WorkerRegistryStakeTooLow(stake, _minStake);
        id = workerId(msg.sender, cid);
        Worker storage w = _workers[id];
        if (w.status != WorkerStatus.None) revert WorkerRegistryWorkerExists(id);
        bytes32 cidHash = keccak256(bytes(cid));
        bytes32 holder = _idByCid[cidHash];
        if (holder != bytes32(0)) revert WorkerRegistryCidTaken(cid, holder);
        _idByCid[cidHash] = id;

        w.owner = msg.sender;
        w.status = WorkerStatus.Active;
        w.lastUsed = uint40(block.timestamp);
        w.stake = SafeCast.toUint128(stake);
        w.capability = capability;
        w.cid = cid;
        _ids.push(id);
        uint256 serial = _ids.length;
        w.serial = uint64(serial);
        _activeIds[capability].push(id);
        _activePosition[id] = _activeIds[capability].length;
        _totalStaked += stake;
        emit WorkerRegistered(id, msg.sender, capability, cid, stake, serial);
        _token.safeTransferFrom(msg.sender, address(this), stake);
    }

    function _addStake(bytes32 id, uint256 amount) private {
        if (amount == 0) revert WorkerRegistryZeroAmount();
        Worker storage w = _ownedWorker(id);
        if (w.status != WorkerStatus.Active) revert WorkerRegistryWrongStatus(id, w.status);
        uint128 newStake = SafeCast.toUint128(uint256(w.stake) + amount);
        w.stake = newStake;
        _totalStaked += amount;
        emit StakeAdded(id, msg.sender, amount, newStake);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @dev A failed permit is ignored when the allowance is already in place: someone may
    /// have front-run the permit from the mempool, which must not make the stake fail.
    function _permit(uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s) private {
        try IERC20Permit(address(_token)).permit(msg.sender, address(this), amount, deadline, v, r, s) {}
        catch {
            if (_token.allowance(msg.sender, address(this)) < amount) {
                // Re-run the permit to surface its own revert reason.
                IERC20Permit(address(_token)).permit(msg.sender, address(this), amount, deadline, v, r, s);
            }
        }
    }

    /// @dev Takes an active worker out of its capability's active list (the last entry takes
    /// its place) and out of the population statistics.
    function _leaveSelection(bytes32 id, Worker storage w) private {
        bytes32[] storage active = _activeIds[w.capability];
        uint256 position = _activePosition[id];
        bytes32 last = active[active.length - 1];
        active[position - 1] = last;
        _activePosition[last] = position;
        active.pop();
        delete _activePosition[id];
        if (w.roundsScored == 0) return;
        uint256 u = w.usefulness;
        Population storage pop = _populations[w.capability];
        // unchecked: a scored active worker's usefulness is part of the running sums.
        unchecked {
            pop.count -= 1;
            pop.sum -= u;
            pop.sumSquares -= u * u;
        }
    }

    function _existingWorker(bytes32 id) private view returns (Worker storage w) {
        w = _workers[id];
        if (w.status == WorkerStatus.None) revert WorkerRegistryUnknownWorker(id);
    }

    function _ownedWorker(bytes32 id) private view returns (Worker storage w) {
        w = _existingWorker(id);
        if (w.owner != msg.sender) revert WorkerRegistryNotWorkerOwner(id, msg.sender, w.owner);
    }

    function _page(bytes32[] storage list, uint256 offset, uint256 limit) private view returns (bytes32[] memory page) {
        uint256 length = list.length;
        if (offset >= length) return new bytes32[](0);
        uint256 end = length - offset < limit ? length : offset + limit;
        page = new bytes32[](end - offset);
        for (uint256 i = offset; i < end; ++i) {
            page[i - offset] = list[i];
        }
    }
}
