import type { Market } from "../gen/aml/v1/markets_pb";

const regimeWords: Record<string, string> = {
  CALM: "calm",
  NORMAL: "normal",
  ELEVATED: "elevated",
  STRESSED: "stressed",
};

/** Halt and mode first (they decide whether a trade can happen at all), then the volatility regime. */
export function MarketBanner({ market }: { market: Market }) {
  return (
    <div className="banners">
      {market.halted && (
        <div role="alert" className="banner halt">
          Trading is halted on-chain: no position opens until the guardian resumes it.
        </div>
      )}
      {market.mode && market.mode !== "ACTIVE" && (
        <div role="alert" className="banner mode">
          {market.asset} is {market.mode === "REDUCE_ONLY" ? "reduce-only: positions may close, none opens" : "frozen: nothing changes"}.
        </div>
      )}
      {market.volatilityRegime && (
        <div className={`banner regime ${market.volatilityRegime.toLowerCase()}`}>
          Volatility {regimeWords[market.volatilityRegime] ?? market.volatilityRegime}: 24h is {market.volatilityRatio.toFixed(2)}× its 7-day level
        </div>
      )}
    </div>
  );
}
