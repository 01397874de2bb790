import { describe, expect, it } from "vitest";
import { borrowFee, distanceBps, liquidationPrice, requirement } from "./margin";

// 1,000 USDC at 10x on BTC at 47,000 USD with a 0.50 % maintenance margin (Grains/Domain/MarginMath.cs by hand).
const long = { isLong: true, collateral: 1_000_000_000n, size: 10_000_000_000n, entryPriceE8: 4_700_000_000_000n, maintenanceMarginBps: 50n };

describe("margin and liquidation price", () => {
  it("takes the requirement on notional", () => {
    expect(requirement(long)).toBe(50_000_000n); // 50 USDC
  });

  it("puts a long's liquidation where equity meets the requirement, a short's mirrored", () => {
    // p = e (size − c + req) / size = 47,000 × 9.05e9 / 1e10
    expect(liquidationPrice(long)).toBe(4_253_500_000_000n);
    expect(liquidationPrice({ ...long, isLong: false })).toBe(5_146_500_000_000n);
  });

  it("counts the accrued borrow fee against the collateral (MarginManager v2)", () => {
    const fee = borrowFee(long.size, 3, 86_400n); // a day at 3 bps of notional
    expect(fee).toBe(3_000_000n);
    expect(liquidationPrice({ ...long, borrowFee: fee })).toBe(4_254_910_000_000n); // 47,000 × 9.053e9 / 1e10
    expect(liquidationPrice({ ...long, isLong: false, borrowFee: fee })).toBe(5_145_090_000_000n);
  });

  it("rounds a long's price up and a short's down, toward the entry, as the engine registers its band", () => {
    const odd = { isLong: true, collateral: 1_000_000n, size: 3_000_000n, entryPriceE8: 10_000_000_000n, maintenanceMarginBps: 0n };
    expect(liquidationPrice(odd)).toBe(6_666_666_667n);
    expect(liquidationPrice({ ...odd, isLong: false, collateral: 2_000_000n })).toBe(16_666_666_666n);
  });

  it("measures the distance from the mark in bps, negative once past it", () => {
    expect(distanceBps(long, 4_700_000_000_000n)).toBe(950n); // 4,465 USD of 47,000
    expect(distanceBps(long, 4_200_000_000_000n)).toBe(-127n);
  });
});
