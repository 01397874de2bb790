import type { Outcome } from "./useAction";

/** The last action's outcome: a refusal as an alert, a success as a status line. */
export function OutcomeLine({ outcome }: { outcome: Outcome }) {
  if (!outcome) return null;
  return outcome.ok ? <p role="status">{outcome.text}</p> : <p role="alert" className="error">{outcome.text}</p>;
}
