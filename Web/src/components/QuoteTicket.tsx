import { useState } from "react";
import { ConnectError } from "@connectrpc/connect";
import type { Market, ChainInfo } from "../gen/aml/v1/markets_pb";
import type { QuoteResponse } from "../gen/aml/v1/positions_pb";
import { positions } from "../api";
import { parseUsdc } from "../format";
import { decisionTypedData, digestOf } from "../typedData";
import type { Wallet } from "../wallet";
import { QuoteTerms } from "./QuoteTerms";

/** Ask the AI for terms, see why, sign the OPEN as EIP-712 typed data. */
export function QuoteTicket({ market, chain, wallet, onOpened }: { market: Market; chain: ChainInfo; wallet?: Wallet; onOpened(): void }) {
  const [isLong, setLong] = useState(true);
  const [collateral, setCollateral] = useState("1000");
  const [lev, setLev] = useState("10");
  const [quote, setQuote] = useState<QuoteResponse>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const run = async (step: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await step();
    } catch (e) {
      setError(e instanceof ConnectError ? e.rawMessage : e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  const ask = () =>
    run(async () => {
      const units = parseUsdc(collateral);
      const x100 = Math.round(Number(lev) * 100);
      if (units === undefined) throw new Error("collateral: a positive USDC amount, e.g. 1000");
      if (!Number.isFinite(x100) || x100 < 100) throw new Error("leverage: a number ≥ 1");
      setQuote(await positions.quote({ asset: market.asset, isLong, collateral: units, requestedLeverageX100: BigInt(x100) }));
    });

  const open = () =>
    run(async () => {
      if (!quote?.decision || !wallet) return;
      const typed = decisionTypedData(quote.decision, chain.chainId, chain.marginManager, chain.marketIds[market.asset]);
      if (digestOf(typed).toLowerCase() !== quote.digest.toLowerCase()) throw new Error("the gateway's digest is not that of the decision shown: not signing");
      const signature = await wallet.signTypedData(typed);
      await positions.open({ positionId: quote.positionId, digest: quote.digest, traderSignature: signature, decision: quote.decision, quoteToken: quote.quoteToken });
      setQuote(undefined);
      onOpened();
    });

  return (
    <section className="ticket">
      <h2>Quote {market.asset}</h2>
      <div className="row">
        <button className={isLong ? "primary" : ""} onClick={() => setLong(true)}>
          Long
        </button>
        <button className={!isLong ? "primary" : ""} onClick={() => setLong(false)}>
          Short
        </button>
      </div>
      <label>
        Collateral (USDC) <input aria-label="collateral" value={collateral} onChange={(e) => setCollateral(e.target.value)} />
      </label>
      <label>
        Leverage (x) <input aria-label="leverage" value={lev} onChange={(e) => setLev(e.target.value)} />
      </label>
      <button disabled={busy || !wallet} onClick={ask}>
        Get quote
      </button>
      {error && (
        <div role="alert" className="error">
          {error}
        </div>
      )}
      {quote && <QuoteTerms quote={quote} market={market} busy={busy} onOpen={open} />}
    </section>
  );
}
