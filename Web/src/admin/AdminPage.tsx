import { useEffect, useState } from "react";
import { Code, ConnectError } from "@connectrpc/connect";
import { privateKeyToAccount } from "viem/accounts";
import type { Hex } from "viem";
import type { ChainInfo } from "../gen/aml/v1/markets_pb";
import { Wallet } from "../wallet";
import { admin as liveAdmin, adminAuth, adminMarkets, signOut, type AdminClient } from "./adminApi";
import { AdminPanels } from "./AdminPanels";
import { errorText } from "./useAction";

/** Anvil's well-known account 0, the dev deployment's admin: public, offered on the local dev chain only. */
const DEV_ADMIN_KEY: Hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

type Signer = { name: string; account: () => Promise<string>; sign: (message: string) => Promise<string> };

/**
 * The admin console (<code>/#admin</code> on the silo's admin port): the admin signs in with the wallet, the gateway
 * answers with an HTTP-only session cookie (so the dashboard opens too), and every panel acts through the Admin RPCs.
 */
export function AdminPage({ admin = liveAdmin }: { admin?: AdminClient }) {
  const [chain, setChain] = useState<ChainInfo>();
  const [assets, setAssets] = useState<string[]>([]);
  const [signedIn, setSignedIn] = useState<boolean>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    adminMarkets.getChain({}).then(setChain, (e) => setError(errorText(e)));
    adminMarkets.listMarkets({}).then((r) => setAssets(r.markets.map((m) => m.asset)), (e) => setError(errorText(e)));
    // The cookie is HTTP-only: whether a session is open shows only in whether an admin call is let through.
    admin.listGovernance({}).then(
      () => setSignedIn(true),
      (e) => setSignedIn(!(e instanceof ConnectError && (e.code === Code.Unauthenticated || e.code === Code.PermissionDenied))),
    );
  }, [admin]);

  const signers: Signer[] = [];
  if (chain?.devChain) {
    const dev = privateKeyToAccount(DEV_ADMIN_KEY);
    signers.push({ name: "the dev admin wallet (anvil account 0)", account: async () => dev.address, sign: (message) => dev.signMessage({ message }) });
  }
  if (chain) {
    const wallet = new Wallet(chain);
    for (const connector of wallet.connectors()) {
      signers.push({ name: connector.name, account: () => wallet.connect(connector), sign: (message) => wallet.signMessage(message) });
    }
  }

  const signIn = async (signer: Signer) => {
    setError(undefined);
    try {
      const challenge = await adminAuth.challenge({ address: await signer.account() });
      await adminAuth.signIn({ message: challenge.message, signature: await signer.sign(challenge.message) });
      const session = await admin.listGovernance({}).then(() => true, (e) => !(e instanceof ConnectError && e.code === Code.Unauthenticated));
      if (!session) throw new Error("signed in, but this port keeps no admin session: open /#admin on the silo's admin port (./aml run prints it)");
      setSignedIn(true);
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <main>
      <header>
        <h1>AML admin</h1>
        {signedIn ? (
          <span>
            <a href="/dashboard/">Orleans dashboard</a>{" "}
            <button onClick={() => signOut().then(() => setSignedIn(false), (e) => setError(errorText(e)))}>Sign out</button>
          </span>
        ) : (
          signers.map((s) => (
            <button key={s.name} onClick={() => signIn(s)}>
              Sign in with {s.name}
            </button>
          ))
        )}
      </header>
      {error && <div role="alert" className="error">{error}</div>}
      {signedIn === false && <p>Sign in with an admin wallet: the deployment's admin or guardian, or an address in Aml:Auth:Admins.</p>}
      {signedIn && <AdminPanels admin={admin} assets={assets} />}
    </main>
  );
}
