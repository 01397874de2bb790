import { useCallback, useEffect, useState } from "react";
import type { ModelStatusResponse, OracleBacklogResponse } from "../gen/aml/v1/admin_pb";
import type { AdminClient } from "./adminApi";
import { Learning } from "./Learning";
import { OutcomeLine } from "./OutcomeLine";
import { errorText, useAction } from "./useAction";

/** Each asset's served model set, and promotion of a trained set (its hash must be registered on-chain first). */
export function Models({ admin, assets }: { admin: AdminClient; assets: string[] }) {
  const [status, setStatus] = useState<Record<string, ModelStatusResponse | string>>({});
  const [directory, setDirectory] = useState<Record<string, string>>({});
  const [outcome, busy, act] = useAction();

  const load = useCallback(() => {
    for (const asset of assets) {
      admin.getModelStatus({ asset }).then(
        (s) => setStatus((all) => ({ ...all, [asset]: s })),
        (e) => setStatus((all) => ({ ...all, [asset]: errorText(e) })),
      );
    }
  }, [admin, assets]);
  useEffect(load, [load]);

  return (
    <section aria-label="models">
      <h2>Models</h2>
      {assets.map((asset) => {
        const s = status[asset];
        return (
          <div key={asset} data-testid={`model-${asset}`}>
            <strong>{asset}</strong>{" "}
            {typeof s === "string" ? <span className="error">{s}</span> : s && `${s.modelHash} from ${s.directory}, loaded ${s.loadedAt}, ${s.assessments} assessments`}
            <input aria-label={`${asset} model directory`} placeholder="trained model directory" value={directory[asset] ?? ""} onChange={(e) => setDirectory({ ...directory, [asset]: e.target.value })} />
            <button
              disabled={busy || !(directory[asset] ?? "").trim()}
              onClick={() => act(async () => {
                const promoted = await admin.promoteModel({ asset, modelDirectory: directory[asset].trim() });
                setStatus((all) => ({ ...all, [asset]: promoted }));
                return `${asset} now serves ${promoted.modelHash}`;
              })}
            >
              Promote
            </button>
            <Learning admin={admin} asset={asset} />
          </div>
        );
      })}
      <OutcomeLine outcome={outcome} />
    </section>
  );
}

/** What the oracle signed and the chain has not settled yet, oldest first (the backlog-age alert's detail). */
export function OracleBacklog({ admin }: { admin: AdminClient }) {
  const [backlog, setBacklog] = useState<OracleBacklogResponse>();
  const [error, setError] = useState<string>();
  const load = useCallback(() => admin.getOracleBacklog({ limit: 20 }).then((b) => (setBacklog(b), setError(undefined)), (e) => setError(errorText(e))), [admin]);
  useEffect(() => void load(), [load]);
  return (
    <section aria-label="oracle backlog">
      <h2>Oracle backlog</h2>
      <button onClick={() => void load()}>Refresh</button>
      {error && <p role="alert" className="error">{error}</p>}
      {backlog && (
        <>
          <p data-testid="backlog-summary">
            {backlog.queued} queued, {backlog.sent} sent, oldest {backlog.oldestAgeSeconds.toFixed(0)} s old
          </p>
          <table>
            <tbody>
              {backlog.oldest.map((d) => (
                <tr key={d.decisionDigest}>
                  <td>{d.createdAt}</td>
                  <td>{d.status}</td>
                  <td>{d.kind}</td>
                  <td>{d.positionId}</td>
                  <td>{d.transactionHash || "not sent"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
