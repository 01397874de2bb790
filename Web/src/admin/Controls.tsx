import { useState } from "react";
import type { AdminClient } from "./adminApi";
import { OutcomeLine } from "./OutcomeLine";
import { sent, useAction } from "./useAction";

const MODES = ["ACTIVE", "REDUCE_ONLY", "FROZEN"] as const;

/** The failsafes: halt (guardian key) and resume (admin key), the whole contract at once. */
export function Failsafes({ admin }: { admin: AdminClient }) {
  const [reason, setReason] = useState("");
  const [outcome, busy, act] = useAction();
  return (
    <section aria-label="failsafes">
      <h2>Halt and resume</h2>
      <input aria-label="halt reason" placeholder="why (kept in the log)" value={reason} onChange={(e) => setReason(e.target.value)} />
      <button disabled={busy || reason.trim() === ""} onClick={() => act(async () => sent(await admin.halt({ reason: reason.trim() })))}>
        Halt trading
      </button>
      <button disabled={busy} onClick={() => act(async () => sent(await admin.resume({})))}>
        Resume trading
      </button>
      <OutcomeLine outcome={outcome} />
    </section>
  );
}

/** Each market's mode: tightening is the guardian's act, ACTIVE (loosening) the admin's. */
export function MarketModes({ admin, assets }: { admin: AdminClient; assets: string[] }) {
  const [outcome, busy, act] = useAction();
  return (
    <section aria-label="market modes">
      <h2>Market modes</h2>
      {assets.map((asset) => (
        <div key={asset}>
          {asset}{" "}
          {MODES.map((mode) => (
            <button key={mode} disabled={busy} onClick={() => act(async () => `${asset} ${mode}: ${sent(await admin.setMarketMode({ asset, mode }))}`)}>
              {mode}
            </button>
          ))}
        </div>
      ))}
      <OutcomeLine outcome={outcome} />
    </section>
  );
}

/** Freezes or thaws one position by its id (0x + 64 hex); the gateway names what is wrong with a bad id. */
export function Freezes({ admin }: { admin: AdminClient }) {
  const [positionId, setPositionId] = useState("");
  const [outcome, busy, act] = useAction();
  const freeze = (frozen: boolean) => act(async () => `${frozen ? "frozen" : "thawed"}: ${sent(await admin.freezePosition({ positionId: positionId.trim(), frozen }))}`);
  return (
    <section aria-label="freezes">
      <h2>Freeze a position</h2>
      <input aria-label="position id" placeholder="0x… position id" value={positionId} onChange={(e) => setPositionId(e.target.value)} />
      <button disabled={busy || positionId.trim() === ""} onClick={() => freeze(true)}>
        Freeze
      </button>
      <button disabled={busy || positionId.trim() === ""} onClick={() => freeze(false)}>
        Unfreeze
      </button>
      <OutcomeLine outcome={outcome} />
    </section>
  );
}
