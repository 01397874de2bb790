// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MockUSDC} from "../../src/mocks/MockUSDC.sol";
import {TestBase} from "../utils/Vm.sol";

contract MockUSDCTest is TestBase {
    MockUSDC internal usdc;

    function setUp() public {
        usdc = new MockUSDC();
    }

    function test_decimals_isSix() public view {
        assertEq(usdc.decimals(), 6, "decimals");
    }

    function testFuzz_mint_creditsExactAmount(address to, uint128 amount) public {
        vm.assume(to != address(0));
        usdc.mint(to, amount);
        assertEq(usdc.balanceOf(to), amount, "balance");
        assertEq(usdc.totalSupply(), amount, "supply");
    }
}
