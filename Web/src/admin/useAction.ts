import { useState } from "react";
import { ConnectError } from "@connectrpc/connect";

/** What an operator's last action did, in words: the gateway's refusal as it said it, or what the chain recorded. */
export type Outcome = { ok: boolean; text: string } | undefined;

export const errorText = (e: unknown) => (e instanceof ConnectError ? e.rawMessage : e instanceof Error ? e.message : String(e));

/** Runs one action at a time and keeps its outcome; a refusal is shown, never swallowed. */
export function useAction(): [Outcome, boolean, (run: () => Promise<string>) => Promise<void>] {
  const [outcome, setOutcome] = useState<Outcome>();
  const [busy, setBusy] = useState(false);
  const act = async (run: () => Promise<string>) => {
    setBusy(true);
    setOutcome(undefined);
    try {
      setOutcome({ ok: true, text: await run() });
    } catch (e) {
      setOutcome({ ok: false, text: errorText(e) });
    } finally {
      setBusy(false);
    }
  };
  return [outcome, busy, act];
}

export const sent = (r: { transactionHash: string; blockNumber: bigint }) => `sent: transaction ${r.transactionHash} in block ${r.blockNumber}`;

export const unixTime = (seconds: bigint) => new Date(Number(seconds) * 1000).toISOString();
