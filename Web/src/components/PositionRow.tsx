import type { Position } from "../gen/aml/v1/positions_pb";
import { distanceBps, liquidationPrice } from "../margin";
import { percent, usd, usdc } from "../format";

export interface PositionActions {
  topUp(position: Position): void;
  close(position: Position): void;
}

/** One position: live mark, PnL, margin, liquidation price and distance, the engine's suggestion as a button. */
export function PositionRow({ position: p, actions, busy }: { position: Position; actions: PositionActions; busy?: boolean }) {
  const terms = { isLong: p.isLong, collateral: p.collateral, size: p.size, entryPriceE8: p.entryPriceE8, maintenanceMarginBps: BigInt(p.maintenanceMarginBps) };
  const live = ["Open", "Adjusting", "Liquidating", "Closing"].includes(p.status);
  const liq = p.liquidationPriceE8 || liquidationPrice(terms);
  return (
    <tr data-testid={`position-${p.positionId}`} data-status={p.status}>
      <td title={p.positionId}>{p.positionId.slice(0, 10)}…</td>
      <td>
        {p.asset} {p.isLong ? "long" : "short"}
      </td>
      <td className="status">{p.status}</td>
      <td>{usdc(p.collateral)}</td>
      <td>{usdc(p.size)}</td>
      <td>{usd(p.markPriceE8)}</td>
      <td className={p.pnl < 0n ? "loss" : "gain"}>{usdc(p.pnl)}</td>
      <td>{live ? percent(p.marginRatioBps) : "—"}</td>
      <td>{live ? `${usd(liq)} (${percent(distanceBps(terms, p.markPriceE8))} away)` : "—"}</td>
      <td>
        {p.rejectionReason && <div className="rejection">Rejected: {p.rejectionReason}</div>}
        {p.suggestion !== "None" && p.suggestionReason && <div className="suggestion">{p.suggestionReason}</div>}
        {live && (
          <>
            <button disabled={busy} className={p.suggestion === "AddCollateral" ? "primary" : ""} onClick={() => actions.topUp(p)}>
              Top up
            </button>
            <button disabled={busy} className={p.suggestion === "Close" ? "primary" : ""} onClick={() => actions.close(p)}>
              Close
            </button>
          </>
        )}
        {p.lastDecisionDigest && (
          <div className="decision" title={`model ${p.modelHash}`}>
            last decision {p.lastDecisionDigest.slice(0, 10)}… model {p.modelHash.slice(0, 10)}…
          </div>
        )}
      </td>
    </tr>
  );
}
