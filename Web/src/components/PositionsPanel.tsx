import { useEffect, useState } from "react";
import { ConnectError } from "@connectrpc/connect";
import type { Position } from "../gen/aml/v1/positions_pb";
import { positions } from "../api";
import type { Wallet } from "../wallet";
import { PositionRow } from "./PositionRow";
import { verification } from "../chain/verification";

const finalStates = ["Closed", "Liquidated", "Rejected"];

/** The trader's positions, each followed live over the Watch stream (which ends after a final state). */
export function PositionsPanel({ wallet, refresh }: { wallet: Wallet; refresh: number }) {
  const [list, setList] = useState<Record<string, Position>>({});
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const abort = new AbortController();
    (async () => {
      const mine = await positions.listMine({}, { signal: abort.signal });
      setList(Object.fromEntries(mine.positions.map((p) => [p.positionId, p])));
      for (const p of mine.positions.filter((p) => !finalStates.includes(p.status))) {
        void (async () => {
          for await (const update of positions.watch({ positionId: p.positionId }, { signal: abort.signal })) {
            // The browser tests time each update here (measured, not asserted); nothing listens in production.
            (window as { __amlPositionUpdate?: (id: string, status: string, version: string) => void }).__amlPositionUpdate?.(
              update.positionId, update.status, update.onChainVersion.toString());
            setList((current) => ({ ...current, [update.positionId]: update }));
          }
        })().catch(() => undefined);
      }
    })().catch((e) => setError(String(e)));
    return () => abort.abort();
  }, [refresh]);

  const act = async (step: () => Promise<void>) => {
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

  const actions = {
    topUp: (p: Position, amount: bigint) =>
      act(async () => {
        await wallet.send(await positions.addCollateral({ positionId: p.positionId, amount }));
      }),
    close: (p: Position) =>
      act(async () => {
        const signed = await positions.requestClose({ positionId: p.positionId });
        if (signed.walletCall) await wallet.send(signed.walletCall);
      }),
    verify: (p: Position) => async (digest: string) =>
      verification(await positions.getDecision({ positionId: p.positionId, digest }), wallet.chain, await wallet.reader()),
  };

  const rows = Object.values(list).sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  return (
    <section>
      <h2>Positions</h2>
      {error && (
        <div role="alert" className="error">
          {error}
        </div>
      )}
      <table>
        <thead>
          <tr>
            <th>id</th>
            <th>market</th>
            <th>status</th>
            <th>collateral</th>
            <th>size</th>
            <th>mark</th>
            <th>PnL</th>
            <th>margin</th>
            <th>liquidation</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {rows.map((p) => (
            <PositionRow key={p.positionId} position={p} actions={actions} busy={busy} />
          ))}
        </tbody>
      </table>
    </section>
  );
}
