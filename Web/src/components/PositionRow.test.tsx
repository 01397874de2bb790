// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { create } from "@bufbuild/protobuf";
import { PositionSchema, type Position } from "../gen/aml/v1/positions_pb";
import { PositionRow } from "./PositionRow";

const open = create(PositionSchema, {
  positionId: "0x" + "ab".repeat(32), asset: "BTC-USD", isLong: true, status: "Open", collateral: 1_000_000_000n,
  size: 10_000_000_000n, entryPriceE8: 4_700_000_000_000n, maintenanceMarginBps: 50, liquidationPriceE8: 4_253_500_000_000n,
  warningPriceE8: 4_400_000_000_000n, markPriceE8: 4_600_000_000_000n, pnl: -212_765_957n, marginRatioBps: 787n,
  maxLeverageX100: 1_000, suggestion: "None", onChainVersion: 1n,
});

const row = (position: Position, actions = { topUp: vi.fn(), close: vi.fn() }) => {
  render(
    <table>
      <tbody>
        <PositionRow position={position} actions={actions} />
      </tbody>
    </table>,
  );
  return actions;
};

afterEach(cleanup);

describe("a position row", () => {
  it("shows mark, PnL, margin and the distance to liquidation, and no warning above the warning price", () => {
    row(open);
    const text = screen.getByTestId(`position-${open.positionId}`).textContent ?? "";
    expect(text).toContain("46,000.00 USD");
    expect(text).toContain("-212.76 USDC");
    expect(text).toContain("7.87 %");
    expect(text).toContain("42,535.00 USD (7.53 % away)");
    expect(screen.queryByTestId("warning")).toBeNull();
  });

  it("warns once the mark is past the warning price and offers the engine's suggestion as one click", () => {
    const warned = { ...open, markPriceE8: 4_350_000_000_000n, pnl: -744_680_851n, suggestion: "AddCollateral", suggestionReason: "margin is thin: add collateral" };
    const actions = row(warned);

    expect(screen.getByTestId("warning").textContent).toBe(
      "Warning: the mark 43,500.00 USD is past the warning price 44,000.00 USD; liquidation at 42,535.00 USD, 2.21 % away.",
    );
    expect(screen.getByText("margin is thin: add collateral")).toBeTruthy();
    // Equity is 255.319149 USDC; the initial margin at the granted 10x is 1,000 USDC: the button tops up the difference.
    fireEvent.click(screen.getByRole("button", { name: "Top up 744.68 USDC (suggested)" }));
    expect(actions.topUp).toHaveBeenCalledWith(warned, 744_680_851n);
  });

  it("says in words why the chain refused the open, and offers no action on it", () => {
    row({ ...open, status: "Rejected", rejectionReason: "the wallet holds 10.00 USDC, the position needs 1,000.00 USDC" });

    expect(screen.getByText("Rejected: the wallet holds 10.00 USDC, the position needs 1,000.00 USDC")).toBeTruthy();
    expect(screen.queryByRole("button", { name: /Top up/ })).toBeNull();
    expect(screen.queryByRole("button", { name: /Close/ })).toBeNull();
  });
});
