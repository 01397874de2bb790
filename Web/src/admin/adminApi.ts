import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { Admin } from "../gen/aml/v1/admin_pb";
import { Auth } from "../gen/aml/v1/auth_pb";
import { Markets } from "../gen/aml/v1/markets_pb";

export type AdminClient = Client<typeof Admin>;

// The admin page is opened on the silo's admin port and calls that same origin: the HTTP-only session cookie the
// sign-in set there authenticates every call (the page never holds the token), and the cookie counts nowhere else.
const transport = createGrpcWebTransport({
  baseUrl: location.origin,
  fetch: (input, init) => globalThis.fetch(input, { ...init, credentials: "same-origin" }),
});

export const admin: AdminClient = createClient(Admin, transport);
export const adminAuth = createClient(Auth, transport);
export const adminMarkets = createClient(Markets, transport);

/** Ends the browser's admin session (the gateway clears the cookie). */
export async function signOut(): Promise<void> {
  const response = await fetch("/v1/auth/sign-out", { method: "POST", credentials: "same-origin" });
  if (!response.ok) throw new Error(`sign-out failed: HTTP ${response.status}`);
}
