// Amounts are bigint integers with a scale everywhere; they become text only here, at the edge.

/** Collateral units (1e-6 USDC) as "1,234.56 USDC". */
export function usdc(units: bigint, decimals = 2): string {
  return `${fixed(units, 6, decimals)} USDC`;
}

/** An E8 price as "47,000.00 USD". */
export function usd(priceE8: bigint): string {
  return `${fixed(priceE8, 8, priceE8 !== 0n && abs(priceE8) < 100_000_000n ? 6 : 2)} USD`;
}

/** Basis points as "1.25 %". */
export function percent(bps: bigint | number): string {
  return `${fixed(BigInt(bps), 2, 2)} %`;
}

/** Leverage X100 as "12.5x". */
export function leverage(x100: bigint | number): string {
  return `${fixed(BigInt(x100), 2, 2).replace(/\.?0+$/, "")}x`;
}

/** "1000.5" (USDC typed by a person) → collateral units; undefined when it is not a positive amount. */
export function parseUsdc(text: string): bigint | undefined {
  const match = /^\s*(\d{1,12})(?:\.(\d{1,6}))?\s*$/.exec(text);
  if (!match) return undefined;
  const units = BigInt(match[1]) * 1_000_000n + BigInt((match[2] ?? "").padEnd(6, "0"));
  return units > 0n ? units : undefined;
}

function abs(v: bigint) {
  return v < 0n ? -v : v;
}

/** value / 10^scale with `decimals` digits (truncated), thousands separated. */
function fixed(value: bigint, scale: number, decimals: number): string {
  const negative = value < 0n;
  const v = abs(value);
  const unit = 10n ** BigInt(scale);
  const whole = (v / unit).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const fraction = (v % unit).toString().padStart(scale, "0").slice(0, decimals);
  return `${negative ? "-" : ""}${whole}${decimals > 0 ? "." + fraction : ""}`;
}
