import { describe, expect, it } from "vitest";
import { serializeSignature, type Hex } from "viem";
import { sign } from "viem/accounts";
import { batchDigest, domainOf, structDigest, type RiskDecisionStruct } from "./typedData";

// Foundry's cast signed these typed-data files (Tests/Aml.Orleans.Ethereum.Tests/Vectors, make_vectors.py): the app's
// digests must be the ones cast signed, or the browser would check signatures over something the chain never saw.
// Read as text: JSON numbers past 2^53 (a uint64 at its maximum) would lose digits, so they are kept as strings.
const texts = import.meta.glob<string>("../../Tests/Aml.Orleans.Ethereum.Tests/Vectors/typed/*.json", { eager: true, query: "?raw", import: "default" });
const parseExact = (text: string): TypedFile => JSON.parse(text.replace(/:\s*(\d{16,})/g, ': "$1"'));
const vectorFile = import.meta.glob<{ vectors: Vector[] }>("../../Tests/Aml.Orleans.Ethereum.Tests/Vectors/vectors.json", { eager: true, import: "default" });

interface TypedFile {
  domain: { chainId: number; verifyingContract: string };
  message: Record<string, unknown> & { decisions?: Record<string, unknown>[]; batchNonce?: number; validUntil?: number };
}
interface Vector { kind: string; key?: Hex; file?: string; output: Hex }

const struct = (m: Record<string, unknown>): RiskDecisionStruct => ({
  kind: Number(m.kind), positionId: m.positionId as Hex, marketId: m.marketId as Hex, trader: m.trader as Hex, isLong: Boolean(m.isLong),
  collateral: BigInt(m.collateral as string), size: BigInt(m.size as string), maxLeverageX100: Number(m.maxLeverageX100),
  maintenanceMarginBps: Number(m.maintenanceMarginBps), closeFactorBps: Number(m.closeFactorBps), riskScoreBps: Number(m.riskScoreBps),
  markPriceE18: BigInt(m.markPriceE18 as string), priceTimestamp: BigInt(m.priceTimestamp as number), positionVersion: BigInt(m.positionVersion as number),
  validUntil: BigInt(m.validUntil as number), modelHash: m.modelHash as Hex, featuresHash: m.featuresHash as Hex,
});

function digestOfFile(name: string): Hex {
  const text = Object.entries(texts).find(([path]) => path.endsWith(`/${name}`))?.[1];
  if (!text) throw new Error(`vector file ${name} is missing`);
  const typed = parseExact(text);
  const domain = domainOf(BigInt(typed.domain.chainId), typed.domain.verifyingContract);
  const m = typed.message;
  return m.decisions
    ? batchDigest(domain, BigInt(m.batchNonce!), BigInt(m.validUntil!), m.decisions.map(struct))
    : structDigest(domain, struct(m));
}

describe("the app's EIP-712 digests", () => {
  const signedByCast = (Object.values(vectorFile)[0]?.vectors ?? []).filter((v) => v.kind === "sign-typed" && v.file?.startsWith("typed/") && v.file !== "typed/mail.json");

  it("are checked against cast's typed-data vectors, for one decision and for a batch", () => {
    expect(new Set(signedByCast.map((v) => v.file))).toEqual(new Set(["typed/risk-decision.json", "typed/decision-list.json"]));
  });

  for (const v of signedByCast) {
    it(`sign to cast's signature over ${v.file} with key ${v.key!.slice(0, 8)}…`, async () => {
      const signature = await sign({ hash: digestOfFile(v.file!.slice("typed/".length)), privateKey: v.key! });
      expect(serializeSignature(signature)).toBe(v.output);
    });
  }
});
