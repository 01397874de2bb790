// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { create } from "@bufbuild/protobuf";
import { DecisionSchema, FeatureContributionSchema } from "../gen/aml/v1/common_pb";
import { MarketSchema } from "../gen/aml/v1/markets_pb";
import { QuoteResponseSchema } from "../gen/aml/v1/positions_pb";
import { QuoteTerms } from "./QuoteTerms";

const market = create(MarketSchema, { asset: "BTC-USD", maxLeverageX100: 2_000, mode: "ACTIVE", borrowRateBpsPerDay: 3 });
const quote = create(QuoteResponseSchema, {
  accepted: true,
  positionId: "0x" + "ab".repeat(32),
  digest: "0x" + "cd".repeat(32),
  decision: create(DecisionSchema, {
    kind: 1, asset: "BTC-USD", isLong: true, collateral: 1_000_000_000n, size: 10_000_000_000n, maxLeverageX100: 1_000,
    maintenanceMarginBps: 50, riskScoreBps: 250, markPriceE8: 4_700_000_000_000n,
  }),
  explanation: [
    create(FeatureContributionSchema, { model: "leverage", feature: "vol_ratio_24h_7d", value: 2.3, contribution: 0.41 }),
    create(FeatureContributionSchema, { model: "risk", feature: "drawdown_24h_per_vol", value: -1.5, contribution: 0.12 }),
  ],
});

afterEach(cleanup);

describe("the quote ticket's decision", () => {
  it("shows the AI's terms, the liquidation price with a day of borrow fee, P(liq 24h) and why, in words", () => {
    render(<QuoteTerms quote={quote} market={market} busy={false} onOpen={() => {}} />);

    expect(screen.getByTestId("max-leverage").textContent).toBe("10x");
    expect(screen.getByTestId("maintenance-margin").textContent).toBe("0.50 % (50.00 USDC)");
    expect(screen.getByTestId("liquidation-price").textContent).toBe(
      "42,535.00 USD (42,549.10 USD after a day of borrow fee, 3.00 USDC at 3 bps/day)",
    );
    expect(screen.getByTestId("p-liquidation").textContent).toBe("2.50 %");
    expect(screen.getByTestId("cap-headline").textContent).toBe("24h volatility is 2.3× its 7-day level: cap 10x instead of 20x");
    expect([...screen.getByTestId("why").querySelectorAll("li")].map((li) => li.textContent)).toEqual([
      "24h volatility is 2.3× its 7-day level: lowers the leverage cap",
      "the price is 1.5 σ below its 24h high: raises the risk score",
    ]);
  });

  it("opens on one click, and refuses to while the market is halted or not active", () => {
    const onOpen = vi.fn();
    const { rerender } = render(<QuoteTerms quote={quote} market={market} busy={false} onOpen={onOpen} />);
    fireEvent.click(screen.getByRole("button", { name: "Sign and open" }));
    expect(onOpen).toHaveBeenCalledTimes(1);

    rerender(<QuoteTerms quote={quote} market={{ ...market, halted: true }} busy={false} onOpen={onOpen} />);
    expect((screen.getByRole("button", { name: "Sign and open" }) as HTMLButtonElement).disabled).toBe(true);
    rerender(<QuoteTerms quote={quote} market={{ ...market, mode: "REDUCE_ONLY" }} busy={false} onOpen={onOpen} />);
    expect((screen.getByRole("button", { name: "Sign and open" }) as HTMLButtonElement).disabled).toBe(true);
  });
});
