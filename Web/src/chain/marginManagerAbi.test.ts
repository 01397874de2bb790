import { describe, expect, it } from "vitest";
import type { AbiParameter } from "viem";
import { marginManagerAbi } from "./marginManagerAbi";

// forge build's artifact (./aml test runs forge before vitest): the contract as compiled, not as anyone wrote it down.
const artifacts = import.meta.glob<{ abi: readonly Entry[] }>("../../../Contracts.Solidity/out/MarginManager.sol/MarginManager.json", {
  eager: true,
  import: "default",
});

interface Entry {
  type: string;
  name?: string;
  inputs?: readonly AbiParameter[];
  outputs?: readonly AbiParameter[];
}

// A parameter as the ABI JSON has it, minus what does not change the encoding or the names the code reads.
const shape = (p: AbiParameter): unknown => ({
  name: p.name ?? "",
  type: p.type,
  indexed: (p as { indexed?: boolean }).indexed ?? false,
  components: "components" in p ? p.components.map(shape) : [],
});
const shapeOf = (e: Entry) => ({
  inputs: (e.inputs ?? []).map(shape),
  outputs: (e.outputs ?? []).map((p) => p.type),
});

describe("the browser's MarginManager ABI", () => {
  const compiled = Object.values(artifacts)[0]?.abi;

  it("is checked against forge's compiled artifact", () => {
    expect(compiled, "Contracts.Solidity/out/MarginManager.sol/MarginManager.json is missing: run forge build").toBeDefined();
  });

  for (const entry of marginManagerAbi as readonly Entry[]) {
    it(`${entry.type} ${entry.name} matches the compiled contract`, () => {
      const same = compiled?.filter((c) => c.type === entry.type && c.name === entry.name) ?? [];
      expect(same, `${entry.name} is not a ${entry.type} of the compiled MarginManager`).toHaveLength(1);
      expect(shapeOf(entry)).toEqual(shapeOf(same[0]));
    });
  }
});
