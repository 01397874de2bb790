// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MockUSDC} from "../../src/mocks/MockUSDC.sol";

/// @notice USDC's blocklist: a blocked address can neither send nor receive (real USDC reverts the same way).
contract BlocklistUSDC is MockUSDC {
    error Blocked(address account);

    mapping(address account => bool) public blocked;

    function setBlocked(address account, bool isBlocked) external {
        blocked[account] = isBlocked;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (blocked[from]) revert Blocked(from);
        if (blocked[to]) revert Blocked(to);
        super._update(from, to, value);
    }
}

/// @notice A token that burns `feeBps` of every transfer between two accounts, so the receiver gets less than sent.
contract FeeOnTransferUSDC is MockUSDC {
    uint256 public feeBps = 100;

    function setFeeBps(uint256 bps) external {
        feeBps = bps;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0) || feeBps == 0) return super._update(from, to, value);
        uint256 fee = value * feeBps / 10_000;
        super._update(from, to, value - fee);
        super._update(from, address(0), fee);
    }
}

/// @notice Called by HookUSDC on the receiver after a transfer (ERC-777's tokensReceived, reduced to what we need).
interface ITransferHook {
    function onTokenReceived(address from, uint256 value) external;
}

/// @notice A token with receiver hooks: after crediting a registered receiver it calls the receiver back, so the
///         receiver runs code in the middle of the sender's call (what an ERC-777 token allows).
contract HookUSDC is MockUSDC {
    mapping(address account => bool) public hooked;

    function setHooked(address account, bool isHooked) external {
        hooked[account] = isHooked;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (hooked[to]) ITransferHook(to).onTokenReceived(from, value);
    }
}
