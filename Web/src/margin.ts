// The contract's margin formulas (Grains/Domain/MarginMath.cs), in bigint: what the ticket shows is what the chain enforces.

export interface Terms {
  isLong: boolean;
  collateral: bigint;
  size: bigint;
  entryPriceE8: bigint;
  maintenanceMarginBps: bigint;
}

/** size * mmBps / 10000, rounded down. */
export const requirement = (t: Terms) => (t.size * t.maintenanceMarginBps) / 10_000n;

/** The price at which equity meets the maintenance requirement, rounded toward the entry (as the engine does). */
export function liquidationPrice(t: Terms): bigint {
  if (t.size <= 0n) return 0n;
  const target = requirement(t);
  const numerator = t.entryPriceE8 * (t.isLong ? t.size - t.collateral + target : t.size + t.collateral - target);
  if (numerator <= 0n) return 0n;
  const quotient = numerator / t.size;
  return t.isLong && numerator % t.size !== 0n ? quotient + 1n : quotient;
}

/** Distance from the mark to the liquidation price, in bps of the mark (negative once past it). */
export function distanceBps(t: Terms, markE8: bigint): bigint {
  if (markE8 <= 0n) return 0n;
  const liq = liquidationPrice(t);
  return ((t.isLong ? markE8 - liq : liq - markE8) * 10_000n) / markE8;
}
