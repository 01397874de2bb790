import { useEffect, useState } from "react";
import type { Connector } from "wagmi";
import { auth, markets, setToken } from "./api";
import type { Candle, ChainInfo, Market } from "./gen/aml/v1/markets_pb";
import { usd } from "./format";
import { Wallet } from "./wallet";
import { MarketBanner } from "./components/MarketBanner";
import { PriceChart } from "./components/PriceChart";
import { QuoteTicket } from "./components/QuoteTicket";
import { PositionsPanel } from "./components/PositionsPanel";

/** Markets, the quote ticket and the trader's positions; the wallet signs in with EIP-4361 and signs every act. */
export function App() {
  const [chain, setChain] = useState<ChainInfo>();
  const [wallet, setWallet] = useState<Wallet>();
  const [list, setList] = useState<Market[]>([]);
  const [asset, setAsset] = useState<string>();
  const [candles, setCandles] = useState<Candle[]>([]);
  const [address, setAddress] = useState<string>();
  const [error, setError] = useState<string>();
  const [refresh, setRefresh] = useState(0);

  useEffect(() => {
    markets.getChain({}).then((c) => {
      setChain(c);
      setWallet(new Wallet(c));
    }, (e) => setError(String(e)));
    const load = () => markets.listMarkets({}).then((r) => setList(r.markets), (e) => setError(String(e)));
    void load();
    const timer = setInterval(load, 2000);
    return () => clearInterval(timer);
  }, []);

  const selected = list.find((m) => m.asset === (asset ?? list[0]?.asset));
  useEffect(() => {
    if (selected) markets.listCandles({ asset: selected.asset, limit: 500 }).then((r) => setCandles(r.candles), () => setCandles([]));
  }, [selected?.asset, selected?.lastTickAt]);

  const signIn = async (connector: Connector) => {
    if (!wallet) return;
    setError(undefined);
    try {
      const account = await wallet.connect(connector);
      const challenge = await auth.challenge({ address: account });
      const signature = await wallet.signMessage(challenge.message);
      const signedIn = await auth.signIn({ message: challenge.message, signature });
      setToken(signedIn.token);
      setAddress(signedIn.address);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  return (
    <main>
      <header>
        <h1>Autonomous Margin Layer</h1>
        {address ? (
          <span data-testid="signed-in">signed in as {address}</span>
        ) : (
          wallet?.connectors().map((c) => (
            <button key={c.uid} onClick={() => signIn(c)}>
              Sign in with {c.name}
            </button>
          ))
        )}
      </header>
      {error && (
        <div role="alert" className="error">
          {error}
        </div>
      )}
      <nav className="markets">
        {list.map((m) => (
          <button key={m.asset} className={m.asset === selected?.asset ? "primary" : ""} onClick={() => setAsset(m.asset)}>
            {m.asset} {usd(m.lastPriceE8)}
          </button>
        ))}
      </nav>
      {selected && (
        <>
          <MarketBanner market={selected} />
          <PriceChart candles={candles} />
          {chain && <QuoteTicket market={selected} chain={chain} wallet={address ? wallet : undefined} onOpened={() => setRefresh((r) => r + 1)} />}
        </>
      )}
      {address && wallet && <PositionsPanel wallet={wallet} refresh={refresh} />}
    </main>
  );
}
