import type { Market } from "../gen/aml/v1/markets_pb";
import type { QuoteResponse } from "../gen/aml/v1/positions_pb";
import { leverage, percent, usd, usdc } from "../format";
import { borrowFee, liquidationPrice, requirement } from "../margin";
import { capHeadline, explain } from "../explain";

const day = 86_400n;

/**
 * The AI's decision for a quote, in numbers and words: max leverage, margin, the liquidation price now and after a
 * day of borrow fee, the probability of liquidation within 24 h (the risk score is that probability), and why.
 */
export function QuoteTerms({ quote, market, busy, onOpen }: { quote: QuoteResponse; market: Market; busy: boolean; onOpen(): void }) {
  const d = quote.decision;
  if (!d) return null;
  const terms = { isLong: d.isLong, collateral: d.collateral, size: d.size, entryPriceE8: d.markPriceE8, maintenanceMarginBps: BigInt(d.maintenanceMarginBps) };
  const feePerDay = borrowFee(d.size, market.borrowRateBpsPerDay, day);
  const headline = capHeadline(quote.explanation, d.maxLeverageX100, market.maxLeverageX100);
  return (
    <div className="terms" data-testid="quote-terms">
      <dl>
        <dt>Max leverage (AI)</dt>
        <dd data-testid="max-leverage">{leverage(d.maxLeverageX100)}</dd>
        <dt>Size</dt>
        <dd>{usdc(d.size)}</dd>
        <dt>Entry</dt>
        <dd>{usd(d.markPriceE8)}</dd>
        <dt>Maintenance margin</dt>
        <dd data-testid="maintenance-margin">
          {percent(d.maintenanceMarginBps)} ({usdc(requirement(terms))})
        </dd>
        <dt>Liquidation price</dt>
        <dd data-testid="liquidation-price">
          {usd(liquidationPrice(terms))}
          {feePerDay > 0n && (
            <>
              {" "}
              ({usd(liquidationPrice({ ...terms, borrowFee: feePerDay }))} after a day of borrow fee, {usdc(feePerDay)} at {market.borrowRateBpsPerDay} bps/day)
            </>
          )}
        </dd>
        <dt>P(liquidation within 24 h)</dt>
        <dd data-testid="p-liquidation">{percent(d.riskScoreBps)}</dd>
        <dt>Risk score</dt>
        <dd>{(d.riskScoreBps / 100).toFixed(0)} / 100</dd>
      </dl>
      {headline && <p data-testid="cap-headline">{headline}</p>}
      {quote.reason && <p>{quote.reason}</p>}
      <ul className="why" data-testid="why">
        {quote.explanation.slice(0, 5).map((c, i) => (
          <li key={i}>{explain(c)}</li>
        ))}
      </ul>
      <button className="primary" disabled={busy || market.halted || (market.mode !== "" && market.mode !== "ACTIVE")} onClick={onOpen}>
        Sign and open
      </button>
    </div>
  );
}
