// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {ISWT} from "./interfaces/ISWT.sol";

/// @title SWT — the MemJit worker token
/// @notice ERC-20 with EIP-2612 permit (approve by signature, so staking takes one
/// transaction) and ERC-5805 votes on a timestamp clock. Supply grows only through worker
/// rewards minted by the UtilityOracle; on local development chains a faucet hands out test
/// tokens.
contract SWT is ERC20, ERC20Permit, ERC20Votes, ISWT {
    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @notice Most tokens one faucet call hands out.
    uint256 public constant FAUCET_MAX = 100_000 ether;

    address private immutable _deployer;
    address private _minter;

    /*//////////////////////////////////////////////////////////////
                               CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    constructor() ERC20("MemJit Worker Token", "SWT") ERC20Permit("MemJit Worker Token") {
        _deployer = msg.sender;
    }

    /*//////////////////////////////////////////////////////////////
                                 MINTING
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISWT
    function minter() external view returns (address) {
        return _minter;
    }

    /// @inheritdoc ISWT
    function setMinter(address newMinter) external {
        if (msg.sender != _deployer) revert SWTUnauthorizedMinterSetup(msg.sender);
        if (_minter != address(0)) revert SWTMinterAlreadySet(_minter);
        if (newMinter == address(0)) revert SWTZeroMinter();
        _minter = newMinter;
        emit MinterSet(newMinter);
    }

    /// @inheritdoc ISWT
    function mint(address to, uint256 amount) external {
        // Before setMinter the minter is zero, which no caller can be.
        if (msg.sender != _minter) revert SWTUnauthorizedMinter(msg.sender, _minter);
        _mint(to, amount);
    }

    /// @inheritdoc ISWT
    function faucet(uint256 amount) external {
        if (!isDevnet(block.chainid)) revert SWTFaucetDisabled(block.chainid);
        if (amount > FAUCET_MAX) revert SWTFaucetLimitExceeded(amount, FAUCET_MAX);
        _mint(msg.sender, amount);
    }

    /// @inheritdoc ISWT
    function isDevnet(uint256 chainId) public pure returns (bool) {
        return chainId == 31337 || chainId == 1337 || chainId == 131277322940537;
    }

    /*//////////////////////////////////////////////////////////////
                                  VOTES
    //////////////////////////////////////////////////////////////*/

    /// @notice Votes are checkpointed by timestamp: block numbers mean little on an L2.
    function clock() public view override returns (uint48) {
        return uint48(block.timestamp);
    }

    /// @notice ERC-6372 description of {clock}.
    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() public pure override returns (string memory) {
        return "mode=timestamp";
    }

    /*//////////////////////////////////////////////////////////////
                          REQUIRED OVERRIDES
    //////////////////////////////////////////////////////////////*/

    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Votes) {
        super._update(from, to, value);
    }

    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }
}
