import { createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { Auth } from "./gen/aml/v1/auth_pb";
import { Markets } from "./gen/aml/v1/markets_pb";
import { Positions } from "./gen/aml/v1/positions_pb";

/** The signed-in wallet's bearer token, one place for every call. */
let token: string | undefined;
export const setToken = (value: string | undefined) => {
  token = value;
};

const bearer: Interceptor = (next) => async (request) => {
  if (token) request.header.set("authorization", `Bearer ${token}`);
  return next(request);
};

// The silo serves the app and gRPC-Web on one origin; the Vite dev server (:5173) calls the gateway on :8081.
const baseUrl = import.meta.env.VITE_GATEWAY ?? (location.port === "5173" ? "http://localhost:8081" : location.origin);
const transport = createGrpcWebTransport({ baseUrl, interceptors: [bearer] });

export const markets = createClient(Markets, transport);
export const auth = createClient(Auth, transport);
export const positions = createClient(Positions, transport);
