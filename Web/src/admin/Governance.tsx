import { useCallback, useEffect, useState } from "react";
import { fromJson, type JsonObject } from "@bufbuild/protobuf";
import { QueueGovernanceRequestSchema, type ListGovernanceResponse } from "../gen/aml/v1/admin_pb";
import type { AdminClient } from "./adminApi";
import { OutcomeLine } from "./OutcomeLine";
import { errorText, sent, unixTime, useAction } from "./useAction";

// One template per change the contract governs (the QueueGovernanceRequest oneof, in its proto3 JSON form): the
// operator edits the values, and the generated schema parses them, so a field the proto does not have is refused here.
export const CHANGE_TEMPLATES: Record<string, JsonObject> = {
  setModel: { modelHash: "0x", allowed: true },
  setSigners: { signers: [], threshold: 1 },
  setGovernanceDelay: { delaySeconds: "86400" },
  withdrawLiquidity: { amount: "0" },
  setMarket: { asset: "BTC-USD", listed: true, maxLeverageX100: 2000, minMaintenanceMarginBps: 50, maxMaintenanceMarginBps: 2000, maxMarginStepBps: 500, liquidationPenaltyBps: 100, maxPriceAge: "60", tighteningGrace: "3600" },
  setMarketLimits: { asset: "BTC-USD", priceFeed: "", maxFeedDeviationBps: 0, maxFeedAge: "0", maxDecisionTtl: "300", maxOpenInterestLong: "0", maxOpenInterestShort: "0", borrowRateBpsPerDay: 0, oracleLivenessTimeout: "0" },
};

/** The delayed-governance queue: what is queued and when it may run, execute (admin) or cancel (guardian), queue a change. */
export function Governance({ admin }: { admin: AdminClient }) {
  const [queue, setQueue] = useState<ListGovernanceResponse>();
  const [loadError, setLoadError] = useState<string>();
  const [kind, setKind] = useState("setModel");
  const [text, setText] = useState(JSON.stringify(CHANGE_TEMPLATES.setModel, null, 2));
  const [outcome, busy, act] = useAction();

  const load = useCallback(
    () => admin.listGovernance({}).then((q) => (setQueue(q), setLoadError(undefined)), (e) => setLoadError(errorText(e))),
    [admin],
  );
  useEffect(() => void load(), [load]);

  const run = (what: () => Promise<string>) => act(async () => {
    const said = await what();
    await load();
    return said;
  });
  const submit = () => run(async () => {
    const request = fromJson(QueueGovernanceRequestSchema, { [kind]: JSON.parse(text) as JsonObject });
    const op = await admin.queueGovernance(request);
    return op.applied ? `applied at once: transaction ${op.transactionHash}` : `queued ${op.function} as ${op.opId}, runs from ${unixTime(op.eta)}`;
  });

  return (
    <section aria-label="governance">
      <h2>Governance queue</h2>
      {loadError && <p role="alert" className="error">{loadError}</p>}
      {queue && (
        <p>
          delay {queue.governanceDelay.toString()} s · chain time {unixTime(queue.chainTime)} · {queue.operations.length} queued
        </p>
      )}
      <ul>
        {queue?.operations.map((op) => (
          <li key={op.opId} data-testid="governance-op">
            {op.function} {op.opId} · runs from {unixTime(op.eta)} {op.ready ? "(ready)" : "(waiting)"}{" "}
            <button disabled={busy || !op.ready} onClick={() => run(async () => `executed ${op.opId}: ${sent(await admin.executeGovernance({ opId: op.opId }))}`)}>
              Execute
            </button>
            <button disabled={busy} onClick={() => run(async () => `cancelled ${op.opId}: ${sent(await admin.cancelGovernance({ opId: op.opId }))}`)}>
              Cancel
            </button>
          </li>
        ))}
      </ul>
      <label>
        change{" "}
        <select aria-label="change kind" value={kind} onChange={(e) => (setKind(e.target.value), setText(JSON.stringify(CHANGE_TEMPLATES[e.target.value], null, 2)))}>
          {Object.keys(CHANGE_TEMPLATES).map((k) => (
            <option key={k}>{k}</option>
          ))}
        </select>
      </label>
      <textarea aria-label="change fields" rows={6} cols={60} value={text} onChange={(e) => setText(e.target.value)} />
      <button disabled={busy} onClick={submit}>
        Queue change
      </button>
      <OutcomeLine outcome={outcome} />
    </section>
  );
}
