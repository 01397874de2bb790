#!/usr/bin/env bash
# End-to-end check of `./aml deploy` on a throwaway anvil: deploys, then drives the deployed contract with cast the
# way the engine will: an OPEN signed by 3 of the 5 dev oracle keys (EIP-2098), a single LIQUIDATE, and a batch.
# It also signs one decision twice with cast, once over our digest and once as EIP-712 typed data, and requires the
# same signature: an independent check of the type string and domain. Usage: Contracts.Solidity/scripts/deploy-smoke.sh [PORT]
set -euo pipefail
AML_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export AML_ROOT
source "$AML_ROOT/scripts/lib.sh"

anvil_start "${1:-18546}"
rpc=(--rpc-url "$AML_RPC_URL")
work="$(mktemp -d)"
on_exit "rm -rf $work"
deployment="$("$AML_ROOT/aml" deploy --rpc-url "$AML_RPC_URL" --out "$work/deployment.json" | tail -1)"
field() { node -e 'const j=require(process.argv[1]); console.log(eval("j."+process.argv[2]))' "$deployment" "$1"; }
mm="$(field marginManager)"
eth="$(field 'markets["ETH-USD"].marketId')"
trader="$(field 'traders[0]')"
mnemonic="test test test test test test test test test test test junk"
key() { "$AML_CAST" wallet private-key "$mnemonic" "$1"; }

model="$("$AML_CAST" keccak smoke-model)"
"$AML_CAST" send "${rpc[@]}" --private-key "$(key 0)" "$mm" "setModel(bytes32,bool)" "$model" true >/dev/null

DECISION="(uint8,bytes32,bytes32,address,bool,uint128,uint128,uint32,uint32,uint32,uint16,uint128,uint64,uint64,uint64,bytes32,bytes32)"
QUORUM="(uint256,bytes)"
now() { "$AML_CAST" block latest --field timestamp "${rpc[@]}"; }

# decision KIND ID VERSION PRICE CLOSE_FACTOR -> the tuple literal for cast
decision() {
  local ts
  ts="$(now)"
  echo "($1,$2,$eth,$trader,true,1000000000,10000000000,2000,250,$5,1200,$4,$ts,$3,$((ts + 600)),$model,$("$AML_CAST" keccak features))"
}

# quorum DIGEST -> "(7,0x<3 × 64-byte EIP-2098 signatures by dev accounts 1, 2, 3>)"
quorum() {
  local sigs="" i sig
  for i in 1 2 3; do
    sig="$("$AML_CAST" wallet sign --no-hash --private-key "$(key "$i")" "$1")"
    sigs+="$(node -e '
      const h = process.argv[1].slice(2), r = h.slice(0, 64), s = BigInt("0x" + h.slice(64, 128));
      const v = parseInt(h.slice(128, 130), 16);
      const vs = s | (BigInt(v - 27) << 255n);
      process.stdout.write(r + vs.toString(16).padStart(64, "0"));' "$sig")"
  done
  echo "(7,0x$sigs)"
}

status() { "$AML_CAST" call "${rpc[@]}" "$mm" "getPosition(bytes32)((address,bytes32,bool,uint128,uint128,uint128,uint32,uint32,uint16,uint64,uint8,bool))" "$1" | node -e '
  const t = require("fs").readFileSync(0, "utf8"); const parts = t.replace(/[()\n]/g, "").split(", ");
  console.log(parts[10]);'; }

# 1. OPEN, signed by the quorum, sent by the trader.
id1="$("$AML_CAST" keccak smoke-position-1)"
d="$(decision 1 "$id1" 0 2000000000000000000000 0)"
digest="$("$AML_CAST" call "${rpc[@]}" "$mm" "decisionDigest($DECISION)(bytes32)" "$d")"

# Cross-check the digest against cast's own EIP-712 implementation: same key, same signature.
node -e '
  const [tuple, chainId, mm] = process.argv.slice(1);
  const f = tuple.slice(1, -1).split(",");
  const names = ["kind","positionId","marketId","trader","isLong","collateral","size","maxLeverageX100",
    "maintenanceMarginBps","closeFactorBps","riskScoreBps","markPriceE18","priceTimestamp","positionVersion",
    "validUntil","modelHash","featuresHash"];
  const types = ["uint8","bytes32","bytes32","address","bool","uint128","uint128","uint32","uint32","uint32",
    "uint16","uint128","uint64","uint64","uint64","bytes32","bytes32"];
  const message = {};
  names.forEach((n, i) => message[n] = types[i] === "bool" ? f[i] === "true" : f[i]);
  const doc = {
    types: {
      EIP712Domain: [{name:"name",type:"string"},{name:"version",type:"string"},{name:"chainId",type:"uint256"},
                     {name:"verifyingContract",type:"address"}],
      RiskDecision: names.map((n, i) => ({ name: n, type: types[i] }))
    },
    primaryType: "RiskDecision",
    domain: { name: "MarginManager", version: "1", chainId: +chainId, verifyingContract: mm },
    message
  };
  require("fs").writeFileSync(process.argv[4], JSON.stringify(doc));' "$d" "$(field chainId)" "$mm" "$work/typed.json"
typed_sig="$("$AML_CAST" wallet sign --data --from-file --private-key "$(key 1)" "$work/typed.json")"
digest_sig="$("$AML_CAST" wallet sign --no-hash --private-key "$(key 1)" "$digest")"
[[ "$typed_sig" == "$digest_sig" ]] || die "decisionDigest differs from cast's EIP-712 hash of the same decision"
log "decisionDigest matches cast's EIP-712 typed-data hash"

"$AML_CAST" send "${rpc[@]}" --private-key "$(key 6)" "$mm" "openPosition($DECISION,$QUORUM)" "$d" "$(quorum "$digest")" >/dev/null \
  || die "openPosition failed"
[[ "$(status "$id1")" == 1 ]] || die "position 1 is not open"
log "OPEN applied"

# 2. LIQUIDATE at 1840 (equity 200 < 250 requirement), relayed by an unrelated account.
d="$(decision 3 "$id1" 1 1840000000000000000000 10000)"
digest="$("$AML_CAST" call "${rpc[@]}" "$mm" "decisionDigest($DECISION)(bytes32)" "$d")"
"$AML_CAST" send "${rpc[@]}" --private-key "$(key 7)" "$mm" "applyDecision($DECISION,$QUORUM)" "$d" "$(quorum "$digest")" >/dev/null \
  || die "applyDecision (LIQUIDATE) failed"
[[ "$(status "$id1")" == 3 ]] || die "position 1 is not liquidated"
log "LIQUIDATE applied"

# 3. A batch: one liquidation that holds and one made stale by a top-up.
id2="$("$AML_CAST" keccak smoke-position-2)"
id3="$("$AML_CAST" keccak smoke-position-3)"
for id in "$id2" "$id3"; do
  d="$(decision 1 "$id" 0 2000000000000000000000 0)"
  digest="$("$AML_CAST" call "${rpc[@]}" "$mm" "decisionDigest($DECISION)(bytes32)" "$d")"
  "$AML_CAST" send "${rpc[@]}" --private-key "$(key 6)" "$mm" "openPosition($DECISION,$QUORUM)" "$d" "$(quorum "$digest")" >/dev/null
done
items="[$(decision 3 "$id2" 1 1840000000000000000000 10000),$(decision 3 "$id3" 1 1840000000000000000000 10000)]"
valid_until=$(($(now) + 600))
digest="$("$AML_CAST" call "${rpc[@]}" "$mm" "batchDigest(uint64,uint64,$DECISION[])(bytes32)" 1 "$valid_until" "$items")"
"$AML_CAST" send "${rpc[@]}" --private-key "$(key 6)" "$mm" "addCollateral(bytes32,uint128)" "$id3" 500000000 >/dev/null
"$AML_CAST" send "${rpc[@]}" --private-key "$(key 7)" "$mm" "applyDecisions(uint64,uint64,$DECISION[],$QUORUM)" \
  1 "$valid_until" "$items" "$(quorum "$digest")" >/dev/null || die "applyDecisions failed"
[[ "$(status "$id2")" == 3 && "$(status "$id3")" == 1 ]] || die "batch: expected position 2 liquidated, 3 skipped"
log "batch applied: one liquidated, the topped-up one skipped"
echo "deploy smoke: ok ($deployment)"
