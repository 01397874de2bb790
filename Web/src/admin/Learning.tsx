import { useEffect, useState } from "react";
import type { LearningStatusResponse, SideDrift } from "../gen/aml/v1/admin_pb";
import type { AdminClient } from "./adminApi";
import { errorText } from "./useAction";

/** One side of the drift watch in words: its live coverage over the window, and whether the fallback prices it. */
export function sideText(name: string, side: SideDrift | undefined, window: number): string {
  if (!side || side.coverage === undefined) return `${name}: nothing matured yet`;
  const coverage = `${(side.coverage * 100).toFixed(1)} % of the last ${side.matured}${side.matured < window ? ` (of ${window})` : ""}`;
  return side.fallback ? `${name}: ${coverage}, conservative fallback` : `${name}: ${coverage}`;
}

/** An asset's learning loop: the drift watch on its champion and the trainer's challenger (Admin.GetLearningStatus). */
export function Learning({ admin, asset }: { admin: AdminClient; asset: string }) {
  const [status, setStatus] = useState<LearningStatusResponse | string>();
  useEffect(() => {
    admin.getLearningStatus({ asset }).then(setStatus, (e) => setStatus(errorText(e)));
  }, [admin, asset]);
  if (status === undefined) return null;
  if (typeof status === "string") return <div className="error">{status}</div>;
  const fallback = status.long?.fallback || status.short?.fallback;
  return (
    <div data-testid={`learning-${asset}`} role={fallback ? "alert" : undefined}>
      drift watch (target {(status.target * 100).toFixed(0)} %, fallback below {((status.target - status.margin) * 100).toFixed(0)} %):{" "}
      {sideText("longs", status.long, status.window)}; {sideText("shorts", status.short, status.window)}. Trainer: {status.trainerStage}
      {status.challengerHash && ` ${status.challengerHash}`}
      {status.trainerVerdict && ` (${status.trainerVerdict})`}
    </div>
  );
}
