// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice Life cycle of a worker: Active workers can be chosen for rounds; Exiting and
/// Terminated workers are out of selection and their stake unbonds; Withdrawn workers have
/// taken their stake back. `None` marks an id that was never registered.
enum WorkerStatus {
    None,
    Active,
    Exiting,
    Terminated,
    Withdrawn
}

/// @notice Everything the registry knows about one worker (two storage slots plus the
/// capability and CID).
struct Worker {
    address owner;
    WorkerStatus status;
    /// Score of the worker's latest round, 0-100.
    uint8 lastScore;
    /// Usefulness score in hundredths of a point (0-10000): the mean of the worker's round
    /// scores and one prior pseudo-round at the capability's population mean (none for the
    /// first scored worker of a capability, which has no population yet; a newcomer is
    /// shrunk toward the population, so one lucky or unlucky draw cannot decide its fate),
    /// turning into a moving average over the last USEFULNESS_WINDOW rounds once it has that
    /// many. Drives selection and the 3-sigma rule.
    uint16 usefulness;
    /// When the worker was last used in a round (registration time until then).
    uint40 lastUsed;
    /// Number of rounds that counted towards its usefulness (not those it was a duplicate in).
    uint24 roundsScored;
    /// Bonded SWT (in wei), slashable until withdrawn.
    uint128 stake;
    /// When an Exiting or Terminated worker's stake can be withdrawn.
    uint40 unbondsAt;
    /// Registration number: 1 for the first worker ever registered. Orders workers by who
    /// came first: of two workers giving a round the same answers, the later earns nothing.
    uint64 serial;
    /// Rounds scored under the oracle's score floor, less the rounds at or above it (never
    /// below zero; duplicate rounds count: they are the worker's own answers). Enough of
    /// them get the worker terminated.
    uint8 strikes;
    /// What the worker does, e.g. "digits-8x8" as a right-padded bytes32.
    bytes32 capability;
    /// IPFS CID of the worker's WebAssembly module.
    string cid;
}

/// @title IWorkerRegistry
/// @notice Staked registry of WebAssembly workers. A worker's id is
/// `keccak256(abi.encode(owner, cid))`. Stake is bonded in SWT; the sum of all stakes always
/// equals the registry's SWT balance (less tokens sent to it by plain transfer). Slashing,
/// termination and score recording are reserved to the UtilityOracle.
interface IWorkerRegistry {
    /// @notice `stake` is below the minimum stake `minStake`.
    error WorkerRegistryStakeTooLow(uint256 stake, uint256 minStake);
    /// @notice A worker with this id (same owner and CID) was already registered.
    error WorkerRegistryWorkerExists(bytes32 id);
    /// @notice No worker has this id.
    error WorkerRegistryUnknownWorker(bytes32 id);
    /// @notice Only the worker's owner `owner` may do this, not `caller`.
    error WorkerRegistryNotWorkerOwner(bytes32 id, address caller, address owner);
    /// @notice The worker's status `status` does not allow this.
    error WorkerRegistryWrongStatus(bytes32 id, WorkerStatus status);
    /// @notice The stake is still unbonding until `unbondsAt` (now is `timestamp`).
    error WorkerRegistryStillUnbonding(bytes32 id, uint256 unbondsAt, uint256 timestamp);
    /// @notice Only the UtilityOracle `oracle` may do this, not `caller`.
    error WorkerRegistryUnauthorizedOracle(address caller, address oracle);
    /// @notice The oracle is already set to `oracle`; it is fixed once.
    error WorkerRegistryOracleAlreadySet(address oracle);
    /// @notice The oracle cannot be the zero address.
    error WorkerRegistryZeroOracle();
    /// @notice A score must be 0-100, got `score`.
    error WorkerRegistryInvalidScore(uint256 score);
    /// @notice The CID is empty or longer than `maxLength` bytes.
    error WorkerRegistryInvalidCid(uint256 length, uint256 maxLength);
    /// @notice The capability cannot be zero.
    error WorkerRegistryZeroCapability();
    /// @notice The amount cannot be zero.
    error WorkerRegistryZeroAmount();
    /// @notice The slash recipient cannot be the zero address.
    error WorkerRegistryZeroRecipient();
    /// @notice `cid` is already registered, as worker `id`: a CID has one registrant, ever.
    error WorkerRegistryCidTaken(string cid, bytes32 id);
    /// @notice The minimum stake must be above zero: a free identity could never be slashed.
    error WorkerRegistryZeroMinStake();

    /// @notice A worker was registered with `stake` bonded, as registration number `serial`.
    event WorkerRegistered(
        bytes32 indexed id,
        address indexed owner,
        bytes32 indexed capability,
        string cid,
        uint256 stake,
        uint256 serial
    );
    /// @notice `amount` was added to the worker's stake, which is now `newStake`.
    event StakeAdded(bytes32 indexed id, address indexed from, uint256 amount, uint256 newStake);
    /// @notice The owner started the worker's exit; its stake unbonds at `unbondsAt`.
    event WorkerExited(bytes32 indexed id, uint256 unbondsAt);
    /// @notice The owner took back the worker's whole stake, `amount`.
    event StakeWithdrawn(bytes32 indexed id, address indexed owner, uint256 amount);
    /// @notice `amount` of the worker's stake was slashed and sent to `to`.
    event WorkerSlashed(bytes32 indexed id, uint256 amount, address indexed to);
    /// @notice The oracle terminated the worker; its remaining stake unbonds at `unbondsAt`.
    event WorkerTerminated(bytes32 indexed id, uint256 unbondsAt);
    /// @notice A round scored the worker `score`; its usefulness score is now `usefulness`,
    /// over `roundsScored` rounds, with `strikes` strikes (see {Worker}).
    event ScoreRecorded(bytes32 indexed id, uint8 score, uint16 usefulness, uint24 roundsScored, uint8 strikes);
    /// @notice The minimum stake changed.
    event MinStakeChanged(uint256 oldMinStake, uint256 newMinStake);
    /// @notice The oracle was set, once and for all.
    event OracleSet(address indexed oracle);

    /// @notice Registers the worker at `cid` for `capability`, bonding `stake` SWT pulled from
    /// the caller (who must have approved it). Returns the worker id. A CID that any owner
    /// registered before is refused, even after that worker has left.
    function register(string calldata cid, uint256 stake, bytes32 capability) external returns (bytes32 id);

    /// @notice Like {register}, with an EIP-2612 permit for `stake` signed by the caller, so a
    /// wallet stakes with one signature and one transaction.
    function registerWithPermit(
        string calldata cid,
        uint256 stake,
        bytes32 capability,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (bytes32 id);

    /// @notice Adds `amount` to the stake of the caller's active worker `id`.
    function addStake(bytes32 id, uint256 amount) external;

    /// @notice Like {addStake}, with an EIP-2612 permit for `amount`.
    function addStakeWithPermit(bytes32 id, uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external;

    /// @notice Takes the caller's active worker out of selection; its stake stays bonded (and
    /// slashable) for `unbondingDelay` seconds, longer than any round can stay open.
    function exit(bytes32 id) external;

    /// @notice Returns the whole stake of the caller's exited or terminated worker once it has
    /// unbonded.
    function withdraw(bytes32 id) external returns (uint256 amount);

    /// @notice Slashes up to `amount` of the worker's stake and sends it to `to`. Only the
    /// oracle. Works while the stake is bonded (Active, Exiting, Terminated). Returns the
    /// amount actually slashed.
    function slash(bytes32 id, uint256 amount, address to) external returns (uint256 slashed);

    /// @notice Terminates an active worker: out of selection for good, its stake unbonds.
    /// Only the oracle.
    function terminate(bytes32 id) external;

    /// @notice Records a round score (0-100) for an active worker, updates its usefulness
    /// score, its strikes (one more under `floor`, one fewer at or above it), its last-used
    /// time and its
    /// capability's population statistics. Only the oracle.
    /// A `duplicate` round (the worker repeated the answers of an earlier registrant) tells
    /// nothing about the worker's own usefulness: it moves only the strikes, the last-used time
    /// and the last score, so a worker first seen as a duplicate stays a newcomer.
    /// @return usefulness The worker's usefulness score, after this round.
    /// @return strikes Its strikes, this round included.
    function recordScore(bytes32 id, uint8 score, bool duplicate, uint8 floor)
        external
        returns (uint16 usefulness, uint8 strikes);

    /// @notice The worker `id` (status None if unknown).
    function worker(bytes32 id) external view returns (Worker memory);

    /// @notice The worker's owner, status, stake, registration number and capability: the
    /// part of {worker} the oracle needs, without copying the CID.
    function standingOf(bytes32 id)
        external
        view
        returns (address owner, WorkerStatus status, uint256 stake, uint256 serial, bytes32 capability);

    /// @notice The id of the worker registered at `cid` (by whichever owner), or zero.
    function workerIdOfCid(string calldata cid) external view returns (bytes32);

    /// @notice The id a worker registered by `owner` at `cid` has.
    function workerId(address owner, string calldata cid) external pure returns (bytes32);

    /// @notice Number of workers ever registered.
    function workerCount() external view returns (uint256);

    /// @notice Up to `limit` worker ids from position `offset` of the registration order.
    function workerIds(uint256 offset, uint256 limit) external view returns (bytes32[] memory ids);

    /// @notice Number of active workers of `capability`: the ones a round can choose from.
    function capabilityWorkerCount(bytes32 capability) external view returns (uint256);

    /// @notice Up to `limit` ids of the active workers of `capability`, from `offset`. An
    /// exiting or terminated worker leaves this list (the last one takes its place), so it
    /// holds only what selection needs; {workerIds} lists every worker ever registered.
    function capabilityWorkerIds(bytes32 capability, uint256 offset, uint256 limit)
        external
        view
        returns (bytes32[] memory ids);

    /// @notice Running statistics of the usefulness scores of `capability`'s active, scored
    /// workers: their number, sum and sum of squares (usefulness in hundredths of a point).
    /// Mean and variance follow in O(1): mean = sum / n, variance = sumSquares / n - mean^2.
    /// Each capability is its own population: scores of different tasks do not compare.
    function populationStats(bytes32 capability)
        external
        view
        returns (uint256 count, uint256 sum, uint256 sumSquares);

    /// @notice Total SWT bonded across all workers.
    function totalStaked() external view returns (uint256);

    /// @notice Minimum stake to register a worker.
    function minStake() external view returns (uint256);

    /// @notice Seconds an exiting or terminated worker's stake stays bonded.
    function unbondingDelay() external view returns (uint256);

    /// @notice The UtilityOracle (zero until set).
    function oracle() external view returns (address);

    /// @notice The staking token.
    function token() external view returns (address);
}
