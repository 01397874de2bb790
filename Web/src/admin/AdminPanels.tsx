import type { AdminClient } from "./adminApi";
import { Failsafes, Freezes, MarketModes } from "./Controls";
import { Governance } from "./Governance";
import { Models, OracleBacklog } from "./Operations";

/** Every operator control, for a signed-in admin. */
export function AdminPanels({ admin, assets }: { admin: AdminClient; assets: string[] }) {
  return (
    <>
      <Failsafes admin={admin} />
      <MarketModes admin={admin} assets={assets} />
      <Freezes admin={admin} />
      <Governance admin={admin} />
      <Models admin={admin} assets={assets} />
      <OracleBacklog admin={admin} />
    </>
  );
}
