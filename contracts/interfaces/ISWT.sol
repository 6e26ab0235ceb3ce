// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title ISWT
/// @notice The SWT token: ERC-20 with EIP-2612 permit and ERC-5805 votes. New tokens are
/// minted only as worker rewards, by a single minter (the UtilityOracle), fixed once.
interface ISWT is IERC20 {
    /// @notice `caller` may not mint: only the minter can.
    error SWTUnauthorizedMinter(address caller, address minter);
    /// @notice `caller` may not set the minter: only the deployer can, and only once.
    error SWTUnauthorizedMinterSetup(address caller);
    /// @notice The minter is already set to `minter`.
    error SWTMinterAlreadySet(address minter);
    /// @notice The minter cannot be the zero address.
    error SWTZeroMinter();
    /// @notice The faucet works only on local development chains; `chainId` is not one.
    error SWTFaucetDisabled(uint256 chainId);
    /// @notice One faucet call may hand out at most `max` tokens; `requested` were asked for.
    error SWTFaucetLimitExceeded(uint256 requested, uint256 max);

    /// @notice The minter was set, once and for all.
    event MinterSet(address indexed minter);

    /// @notice The only address allowed to mint (zero until set).
    function minter() external view returns (address);

    /// @notice Sets the minter. Callable once, by the deployer.
    function setMinter(address newMinter) external;

    /// @notice Mints `amount` to `to`. Only the minter.
    function mint(address to, uint256 amount) external;

    /// @notice Mints up to `FAUCET_MAX` tokens to the caller, on local development chains only.
    function faucet(uint256 amount) external;

    /// @notice True for the chain ids of local development chains (anvil/hardhat 31337,
    /// geth --dev/ganache 1337, the in-process eth-tester chain 131277322940537).
    function isDevnet(uint256 chainId) external pure returns (bool);
}
