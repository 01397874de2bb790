import { describe, expect, it } from "vitest";
import { capHeadline, explain } from "./explain";

const volatility = { model: "leverage", feature: "vol_ratio_24h_7d", value: 2.3, contribution: 0.41 };

describe("the decision in words", () => {
  it("says which way an input moved its model; a larger predicted excursion lowers the leverage cap", () => {
    expect(explain(volatility)).toBe("24h volatility is 2.3× its 7-day level: lowers the leverage cap");
    expect(explain({ ...volatility, contribution: -0.2 })).toBe("24h volatility is 2.3× its 7-day level: raises the leverage cap");
    expect(explain({ model: "risk", feature: "drawdown_24h_per_vol", value: -3.14, contribution: 0.1 })).toBe(
      "the price is 3.1 σ below its 24h high: raises the risk score",
    );
    expect(explain({ model: "threshold", feature: "some_new_input", value: 1.5, contribution: 0.1 })).toBe(
      "some new input is 1.50: raises the maintenance margin",
    );
  });

  it("heads the ticket with the input that pulled the cap down most and the cap against the market's", () => {
    const others = [
      { model: "risk", feature: "ret_1h_per_vol", value: -2, contribution: 0.9 },
      { model: "leverage", feature: "ret_4h_per_vol", value: -1, contribution: 0.1 },
      volatility,
    ];
    expect(capHeadline(others, 800, 2_000)).toBe("24h volatility is 2.3× its 7-day level: cap 8x instead of 20x");
    expect(capHeadline([], 800, 2_000)).toBe("cap 8x instead of 20x");
    expect(capHeadline(others, 2_000, 2_000)).toBeUndefined();
  });
});
