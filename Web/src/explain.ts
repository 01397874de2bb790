import type { FeatureContribution } from "./gen/aml/v1/common_pb";

type Contribution = Pick<FeatureContribution, "model" | "feature" | "value" | "contribution">;

// What each model input means to a trader. Names are the models' inputs (Risk/ModelFeatures.cs): the market's features
// (Risk/FeatureWindow.cs), most of them divided by the 24h hourly volatility (σ), then the position's own terms.
const signed = (v: number, digits = 1) => `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(digits)}`;
const days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const words: Record<string, (v: number) => string> = {
  vol_ratio_24h_7d: (v) => `24h volatility is ${v.toFixed(1)}× its 7-day level`,
  ret_1h_per_vol: (v) => `the last hour moved ${signed(v)} σ`,
  ret_4h_per_vol: (v) => `the last 4 hours moved ${signed(v)} σ`,
  ret_24h_per_vol: (v) => `the last 24 hours moved ${signed(v)} σ`,
  parkinson_per_vol: (v) => `the high-low range is ${v.toFixed(1)}× the close-to-close volatility`,
  drawdown_24h_per_vol: (v) => `the price is ${Math.abs(v).toFixed(1)} σ below its 24h high`,
  drawdown_7d_per_vol: (v) => `the price is ${Math.abs(v).toFixed(1)} σ below its 7-day high`,
  log_quote_volume_z30d: (v) => `trading volume is ${signed(v)} σ against its 30 days`,
  trades_z30d: (v) => `the trade count is ${signed(v)} σ against its 30 days`,
  taker_buy_ratio_24h: (v) => `${(v * 100).toFixed(0)} % of the 24h volume was bought at the ask`,
  hour_of_day: (v) => `it is ${String(Math.round(v)).padStart(2, "0")}:00 UTC`,
  day_of_week: (v) => `it is ${days[Math.round(v)] ?? `day ${v}`}`,
  is_long: (v) => (v >= 0.5 ? "the position is a long" : "the position is a short"),
  distance_per_day_vol: (v) => `the liquidation price is ${v.toFixed(1)} daily σ away`,
  leverage: (v) => `the requested leverage is ${v.toFixed(1)}x`,
  maintenance_margin: (v) => `the maintenance margin is ${(v * 100).toFixed(2)} %`,
};

const models: Record<string, string> = {
  leverage: "the leverage cap",
  threshold: "the maintenance margin",
  risk: "the risk score",
  score: "the risk score",
};

/** The input alone in words: "24h volatility is 2.3× its 7-day level". */
export const describe = (c: Contribution) =>
  words[c.feature]?.(c.value) ?? `${c.feature.replaceAll("_", " ")} is ${c.value.toPrecision(3)}`;

/**
 * Whether the input pushed its model's answer up. The leverage and threshold models predict the adverse excursion:
 * a larger one lowers the leverage cap (and raises the margin), so the leverage model's sign is the other way round.
 */
const raises = (c: Contribution) => (c.model === "leverage" ? c.contribution < 0 : c.contribution >= 0);

/** One contribution in words: "24h volatility is 2.3× its 7-day level: lowers the leverage cap". */
export function explain(c: Contribution): string {
  return `${describe(c)}: ${raises(c) ? "raises" : "lowers"} ${models[c.model] ?? c.model}`;
}

/** "cap 8x instead of 20x" when the risk engine granted less than the market allows. */
export function capSentence(grantedX100: number, marketMaxX100: number): string | undefined {
  return grantedX100 < marketMaxX100 ? `cap ${grantedX100 / 100}x instead of ${marketMaxX100 / 100}x` : undefined;
}

/**
 * Why the cap is what it is, in one line: the input that pulled the leverage model down the most, then the cap
 * ("24h volatility is 2.3× its 7-day level: cap 8x instead of 20x"); the cap alone when no input pulled it down.
 */
export function capHeadline(contributions: readonly Contribution[], grantedX100: number, marketMaxX100: number): string | undefined {
  const cap = capSentence(grantedX100, marketMaxX100);
  if (!cap) return undefined;
  const strongest = contributions
    .filter((c) => c.model === "leverage" && !raises(c))
    .reduce<Contribution | undefined>((most, c) => (most === undefined || c.contribution > most.contribution ? c : most), undefined);
  return strongest ? `${describe(strongest)}: ${cap}` : cap;
}
