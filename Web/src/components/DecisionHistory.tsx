import { useEffect, useState } from "react";
import { ConnectError } from "@connectrpc/connect";
import type { DecisionRecord } from "../gen/aml/v1/positions_pb";
import { positions } from "../api";
import type { Verification } from "../chain/verification";

/** Verifies one decision by its digest (the browser's checks against the chain, and the gateway's for the rest). */
export type VerifyDecision = (digest: string) => Promise<Verification>;

const kindWords: Record<string, string> = {
  OPEN: "opened",
  ADJUST: "margin adjusted",
  LIQUIDATE: "liquidated",
  CLOSE: "closed",
};

const short = (hex: string) => (hex.length > 14 ? `${hex.slice(0, 10)}…${hex.slice(-4)}` : hex || "—");

/** Every decision on one position as the oracle audited it; read again whenever the position's version moves. */
export function DecisionHistory({ positionId, version, verify }: { positionId: string; version: string; verify?: VerifyDecision }) {
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
  return <DecisionTable decisions={decisions} verify={verify} />;
}

/**
 * The history as a table: kind, digest, signers, model, features, transaction, and how it ended; with `verify`, each
 * decision can be verified on demand and its verdicts are listed under the table.
 */
export function DecisionTable({ decisions, verify }: { decisions: readonly DecisionRecord[]; verify?: VerifyDecision }) {
  const [checked, setChecked] = useState<Record<string, Verification | string>>({});
  if (decisions.length === 0) return <div>no decision on this position yet</div>;
  const run = (digest: string) => {
    setChecked((c) => ({ ...c, [digest]: "verifying…" }));
    verify!(digest).then(
      (v) => setChecked((c) => ({ ...c, [digest]: v })),
      (e) => setChecked((c) => ({ ...c, [digest]: `could not verify: ${e instanceof ConnectError ? e.rawMessage : e instanceof Error ? e.message : String(e)}` })),
    );
  };
  return (
    <>
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
          {verify && <th></th>}
        </tr>
      </thead>
      <tbody>
        {decisions.map((d) => (
          <tr key={d.digest} data-kind={d.kind} data-digest={d.digest}>
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
            {verify && (
              <td>
                <button onClick={() => run(d.digest)}>Verify</button>
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
    {Object.entries(checked).map(([digest, v]) => (
      <VerificationReport key={digest} digest={digest} result={v} />
    ))}
    </>
  );
}

/** One decision's verdicts: the browser's own against the chain first, then the gateway's, and the CLI line for all. */
function VerificationReport({ digest, result }: { digest: string; result: Verification | string }) {
  if (typeof result === "string") return <div data-testid={`verification-${digest}`}>{short(digest)}: {result}</div>;
  const passed = result.browser.every((v) => v.passed);
  return (
    <div className="verification" data-testid={`verification-${digest}`} data-passed={passed}>
      <div>
        Decision {short(digest)}: {passed ? "verified in this browser against the chain" : "FAILED verification in this browser"}
      </div>
      <VerdictList verdicts={result.browser} testId="browser-verdict" />
      <div className="muted">Checked by the gateway from the model and outcome stores:</div>
      <VerdictList verdicts={result.gateway} testId="gateway-verdict" />
      <div className="muted">
        Re-check everything on your own machine: <code>{result.command}</code>
      </div>
    </div>
  );
}

function VerdictList({ verdicts, testId }: { verdicts: readonly { check: string; passed: boolean; detail: string }[]; testId: string }) {
  return (
    <ul>
      {verdicts.map((v) => (
        <li key={v.check} data-testid={testId} data-check={v.check} data-passed={v.passed}>
          {v.passed ? "✓" : "✗"} {v.check}: {v.detail}
        </li>
      ))}
    </ul>
  );
}
