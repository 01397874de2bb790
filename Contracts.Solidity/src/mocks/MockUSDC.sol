// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title MockUSDC
/// @notice The dev collateral token: 6 decimals like USDC, with an open mint so local wallets can be funded.
/// @dev Never deployed outside local chains; production uses the real token address.
contract MockUSDC is ERC20 {
    constructor() ERC20("Mock USD Coin", "mUSDC") {}

    /// @inheritdoc ERC20
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Mints `amount` to `to`; open to anyone because this token only exists on dev chains.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
