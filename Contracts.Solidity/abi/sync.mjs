// Keeps abi/<Contract>.json equal to the "abi" array of forge's build artifacts (out/), which the C# binding
// reads and tests against. Usage: node abi/sync.mjs --check | --write   (run `forge build` first).
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const contracts = [
  ["MarginManager", "out/MarginManager.sol/MarginManager.json"],
  ["MockUSDC", "out/MockUSDC.sol/MockUSDC.json"],
  ["MockPriceFeed", "out/MockPriceFeed.sol/MockPriceFeed.json"],
];
const mode = process.argv[2];
if (mode !== "--check" && mode !== "--write") {
  console.error("usage: node abi/sync.mjs --check | --write");
  process.exit(2);
}

let stale = 0;
for (const [name, artifact] of contracts) {
  const artifactPath = join(root, artifact);
  if (!existsSync(artifactPath)) {
    console.error(`abi: ${artifact} is missing: run forge build in Contracts.Solidity first`);
    process.exit(1);
  }
  const abi = JSON.parse(readFileSync(artifactPath, "utf8")).abi;
  if (!Array.isArray(abi)) {
    console.error(`abi: ${artifact} has no "abi" array`);
    process.exit(1);
  }
  const text = JSON.stringify(abi, null, 2) + "\n";
  const target = join(root, "abi", `${name}.json`);
  const current = existsSync(target) ? readFileSync(target, "utf8") : "";
  if (current === text) continue;
  if (mode === "--write") {
    writeFileSync(target, text);
    console.error(`abi: wrote abi/${name}.json`);
  } else {
    console.error(`abi: abi/${name}.json differs from ${artifact}; run: node abi/sync.mjs --write`);
    stale++;
  }
}
process.exit(stale === 0 ? 0 : 1);
