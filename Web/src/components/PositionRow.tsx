import { useState } from "react";
import type { Position } from "../gen/aml/v1/positions_pb";
import { distanceBps, liquidationPrice, requirement, type Terms } from "../margin";
import { percent, usd, usdc } from "../format";
import { DecisionHistory, type VerifyDecision } from "./DecisionHistory";

export interface PositionActions {
  topUp(position: Position, amount: bigint): void;
  close(position: Position): void;
  /** Verifies one of the position's decisions (absent: the history offers no verification). */
  verify?(position: Position): VerifyDecision;
}

const liveStates = ["Open", "Adjusting", "Liquidating", "Closing"];
const columns = 10;

/**
 * The one-click answer to "add collateral": the top-up that lifts equity back to the initial margin at the leverage the
 * engine granted (size / max leverage), or to twice the requirement when that is more; at least 1 USDC.
 */
export function suggestedTopUp(t: Terms, pnl: bigint, maxLeverageX100: number): bigint {
  const equity = t.collateral - (t.borrowFee ?? 0n) + pnl;
  const initial = maxLeverageX100 > 0 ? (t.size * 100n) / BigInt(maxLeverageX100) : 0n;
  const target = initial > 2n * requirement(t) ? initial : 2n * requirement(t);
  return target - equity > 1_000_000n ? target - equity : 1_000_000n;
}

/** True once the mark has crossed the engine's warning price toward the liquidation price. */
export const pastWarning = (p: Position) =>
  p.warningPriceE8 > 0n && p.markPriceE8 > 0n && (p.isLong ? p.markPriceE8 <= p.warningPriceE8 : p.markPriceE8 >= p.warningPriceE8);

/**
 * One position: live mark, PnL, margin, liquidation price and distance, the warning once the mark nears the band, the
 * engine's suggestion as a one-click action, the rejection reason in words, and its decision history on demand.
 */
export function PositionRow({ position: p, actions, busy }: { position: Position; actions: PositionActions; busy?: boolean }) {
  const [history, setHistory] = useState(false);
  const terms = {
    isLong: p.isLong, collateral: p.collateral, size: p.size, entryPriceE8: p.entryPriceE8,
    maintenanceMarginBps: BigInt(p.maintenanceMarginBps), borrowFee: p.borrowFee,
  };
  const live = liveStates.includes(p.status);
  const liq = p.liquidationPriceE8 || liquidationPrice(terms);
  const distance = distanceBps(terms, p.markPriceE8);
  const topUp = suggestedTopUp(terms, p.pnl, p.maxLeverageX100);
  return (
    <>
      <tr
        data-testid={`position-${p.positionId}`}
        data-status={p.status}
        data-version={p.onChainVersion.toString()}
        data-liquidation-e8={liq.toString()}
        data-warning-e8={p.warningPriceE8.toString()}
      >
        <td title={p.positionId}>{p.positionId.slice(0, 10)}…</td>
        <td>
          {p.asset} {p.isLong ? "long" : "short"}
        </td>
        <td className="status">{p.status}</td>
        <td>{usdc(p.collateral)}</td>
        <td>{usdc(p.size)}</td>
        <td data-testid="mark">{usd(p.markPriceE8)}</td>
        <td className={p.pnl < 0n ? "loss" : "gain"}>{usdc(p.pnl)}</td>
        <td>{live ? percent(p.marginRatioBps) : "—"}</td>
        <td>{live ? `${usd(liq)} (${percent(distance)} away)` : "—"}</td>
        <td>
          {p.rejectionReason && <div className="rejection">Rejected: {p.rejectionReason}</div>}
          {live && pastWarning(p) && (
            <div role="status" className="warning" data-testid="warning">
              Warning: the mark {usd(p.markPriceE8)} is past the warning price {usd(p.warningPriceE8)}; liquidation at {usd(liq)}, {percent(distance)} away.
            </div>
          )}
          {p.suggestion !== "None" && p.suggestionReason && <div className="suggestion">{p.suggestionReason}</div>}
          {live && (
            <>
              <button disabled={busy} className={p.suggestion === "AddCollateral" ? "primary" : ""} onClick={() => actions.topUp(p, topUp)}>
                Top up {usdc(topUp)}
                {p.suggestion === "AddCollateral" && " (suggested)"}
              </button>
              <button disabled={busy} className={p.suggestion === "Close" || p.suggestion === "Reduce" ? "primary" : ""} onClick={() => actions.close(p)}>
                Close{(p.suggestion === "Close" || p.suggestion === "Reduce") && " (suggested)"}
              </button>
            </>
          )}
          <button onClick={() => setHistory((h) => !h)}>{history ? "Hide history" : "History"}</button>
        </td>
      </tr>
      {history && (
        <tr className="history-row">
          <td colSpan={columns}>
            <DecisionHistory positionId={p.positionId} version={`${p.status}/${p.onChainVersion}/${p.lastDecisionDigest}`} verify={actions.verify?.(p)} />
          </td>
        </tr>
      )}
    </>
  );
}
