import type { FeatureContribution } from "./gen/aml/v1/common_pb";

// What each model input means to a trader. Names are the feature schema's (Risk/FeatureWindow.cs).
const words: Record<string, (v: number) => string> = {
  vol_ratio_24h_7d: (v) => `24h volatility is ${v.toFixed(1)}× its 7-day level`,
  vol_24h: (v) => `24h volatility is ${(v * 100).toFixed(2)} % per hour`,
  vol_7d: (v) => `7-day volatility is ${(v * 100).toFixed(2)} % per hour`,
  parkinson_24h: (v) => `the 24h high-low range volatility is ${(v * 100).toFixed(2)} %`,
  ret_1h: (v) => `the price moved ${(v * 100).toFixed(2)} % in the last hour`,
  ret_4h: (v) => `the price moved ${(v * 100).toFixed(2)} % in 4 hours`,
  ret_24h: (v) => `the price moved ${(v * 100).toFixed(2)} % in 24 hours`,
  drawdown_24h: (v) => `the price is ${(Math.abs(v) * 100).toFixed(2)} % below its 24h high`,
  drawdown_7d: (v) => `the price is ${(Math.abs(v) * 100).toFixed(2)} % below its 7-day high`,
};

const models: Record<string, string> = {
  leverage: "the leverage cap",
  threshold: "the maintenance margin",
  risk: "the risk score",
  score: "the risk score",
};

/** One contribution in words: "24h volatility is 2.3× its 7-day level: lowers the leverage cap". */
export function explain(c: Pick<FeatureContribution, "model" | "feature" | "value" | "contribution">): string {
  const what = words[c.feature]?.(c.value) ?? `${c.feature.replaceAll("_", " ")} is ${c.value.toPrecision(3)}`;
  const target = models[c.model] ?? c.model;
  return `${what}: ${c.contribution >= 0 ? "raises" : "lowers"} ${target}`;
}

/** "cap 8x instead of 20x" when the risk engine granted less than the market allows. */
export function capSentence(grantedX100: number, marketMaxX100: number): string | undefined {
  return grantedX100 < marketMaxX100 ? `cap ${grantedX100 / 100}x instead of ${marketMaxX100 / 100}x` : undefined;
}
