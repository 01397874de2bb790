// @vitest-environment jsdom
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, render, screen } from "@testing-library/react";
import { create } from "@bufbuild/protobuf";
import { MarketSchema } from "../gen/aml/v1/markets_pb";
import { MarketBanner } from "./MarketBanner";

afterEach(cleanup);

describe("the market's banners", () => {
  it("says nothing is wrong with a calm, active market beyond its regime", () => {
    render(<MarketBanner market={create(MarketSchema, { asset: "BTC-USD", mode: "ACTIVE", volatilityRegime: "CALM", volatilityRatio: 0.62 })} />);
    expect(screen.queryAllByRole("alert")).toHaveLength(0);
    expect(screen.getByText("Volatility calm: 24h is 0.62× its 7-day level")).toBeTruthy();
  });

  it("puts the halt and a reduce-only or frozen mode first, in words", () => {
    render(<MarketBanner market={create(MarketSchema, { asset: "ETH-USD", halted: true, mode: "REDUCE_ONLY", volatilityRegime: "STRESSED", volatilityRatio: 3.1 })} />);
    expect(screen.getAllByRole("alert").map((a) => a.textContent)).toEqual([
      "Trading is halted on-chain: no position opens until the guardian resumes it.",
      "ETH-USD is reduce-only: positions may close, none opens.",
    ]);
    cleanup();
    render(<MarketBanner market={create(MarketSchema, { asset: "SOL-USD", mode: "FROZEN" })} />);
    expect(screen.getByRole("alert").textContent).toBe("SOL-USD is frozen: nothing changes.");
  });
});
