// The contract's margin formulas (Grains/Domain/MarginMath.cs), in bigint: what the ticket shows is what the chain enforces.

export interface Terms {
  isLong: boolean;
  collateral: bigint;
  size: bigint;
  entryPriceE8: bigint;
  maintenanceMarginBps: bigint;
  /** The borrow fee accrued (MarginManager v2): it counts against equity as if it were paid out of the collateral. */
  borrowFee?: bigint;
}

/** The borrow index's denominator: one bps a day accrues 86,400 index points per 10,000 bps of notional. */
const borrowIndexDenominator = 10_000n * 86_400n;

/** The fee on `size` after `seconds` at `rateBpsPerDay`, rounded down like the contract's accruedBorrowFee. */
export const borrowFee = (size: bigint, rateBpsPerDay: bigint | number, seconds: bigint) =>
  (size * BigInt(rateBpsPerDay) * seconds) / borrowIndexDenominator;

/** size * mmBps / 10000, rounded down. */
export const requirement = (t: Terms) => (t.size * t.maintenanceMarginBps) / 10_000n;

/** The price at which equity (collateral − fee + PnL) meets the maintenance requirement, rounded toward the entry. */
export function liquidationPrice(t: Terms): bigint {
  if (t.size <= 0n) return 0n;
  const target = requirement(t);
  const net = t.collateral - (t.borrowFee ?? 0n);
  const numerator = t.entryPriceE8 * (t.isLong ? t.size - net + target : t.size + net - target);
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
