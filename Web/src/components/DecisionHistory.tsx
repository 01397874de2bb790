import { useEffect, useState } from "react";
import { ConnectError } from "@connectrpc/connect";
import type { DecisionRecord } from "../gen/aml/v1/positions_pb";
import { positions } from "../api";

const kindWords: Record<string, string> = {
  OPEN: "opened",
  ADJUST: "margin adjusted",
  LIQUIDATE: "liquidated",
  CLOSE: "closed",
};

const short = (hex: string) => (hex.length > 14 ? `${hex.slice(0, 10)}…${hex.slice(-4)}` : hex || "—");

/** Every decision on one position as the oracle audited it; read again whenever the position's version moves. */
export function DecisionHistory({ positionId, version }: { positionId: string; version: string }) {
  const [decisions, setDecisions] = useState<DecisionRecord[]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    const abort = new AbortController();
    positions.listDecisions({ positionId }, { signal: abort.signal }).then(
      (r) => setDecisions(r.decisions),
      (e) => abort.signal.aborted || setError(e instanceof ConnectError ? e.rawMessage : String(e)),
    );
    return () => abort.abort();
  }, [positionId, version]);

  if (error) return <div role="alert" className="error">{error}</div>;
  if (!decisions) return <div>loading the decision history…</div>;
  return <DecisionTable decisions={decisions} />;
}

/** The history as a table: kind, digest, signers, model, features, transaction, and how it ended. */
export function DecisionTable({ decisions }: { decisions: readonly DecisionRecord[] }) {
  if (decisions.length === 0) return <div>no decision on this position yet</div>;
  return (
    <table className="history" data-testid="decision-history">
      <thead>
        <tr>
          <th>decision</th>
          <th>digest</th>
          <th>signers</th>
          <th>model</th>
          <th>features</th>
          <th>transaction</th>
          <th>result</th>
        </tr>
      </thead>
      <tbody>
        {decisions.map((d) => (
          <tr key={d.digest} data-kind={d.kind}>
            <td>
              {d.kind} <span className="muted">({kindWords[d.kind] ?? d.kind.toLowerCase()})</span>
            </td>
            <td title={d.digest}>{short(d.digest)}</td>
            <td title={d.signers.join("\n")}>
              {d.signers.length === 0 ? "—" : `${d.signers.length} (${d.signers.map(short).join(", ")})`}
            </td>
            <td title={d.modelHash}>{short(d.modelHash)}</td>
            <td title={d.featuresHash}>{short(d.featuresHash)}</td>
            <td title={d.transactionHash}>{short(d.transactionHash)}</td>
            <td>
              {d.status}
              {d.outcome && `: ${d.outcome}`}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
