import { describe, expect, it } from "vitest";
import { leverage, parseUsdc, percent, usd, usdc } from "./format";

describe("amounts in units", () => {
  it("writes collateral units as USDC with thousands separated, truncated", () => {
    expect(usdc(1_234_567_890n)).toBe("1,234.56 USDC");
    expect(usdc(-5_000_000n)).toBe("-5.00 USDC");
    expect(usdc(0n)).toBe("0.00 USDC");
  });

  it("writes E8 prices in USD, with more digits below one dollar", () => {
    expect(usd(4_700_000_000_000n)).toBe("47,000.00 USD");
    expect(usd(12_345_678n)).toBe("0.123456 USD");
  });

  it("writes basis points as percent and X100 leverage as x", () => {
    expect(percent(125)).toBe("1.25 %");
    expect(percent(-30n)).toBe("-0.30 %");
    expect(leverage(1_000)).toBe("10x");
    expect(leverage(1_250)).toBe("12.5x");
  });

  it("reads typed USDC into collateral units, refusing what is not a positive amount of at most 6 decimals", () => {
    expect(parseUsdc("1000.5")).toBe(1_000_500_000n);
    expect(parseUsdc(" 0.000001 ")).toBe(1n);
    for (const bad of ["0", "-1", "1.1234567", "1e3", "abc", "", "1,000"]) expect(parseUsdc(bad)).toBeUndefined();
  });
});
