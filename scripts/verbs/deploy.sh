# help: deploy MockUSDC + MarginManager + a MockPriceFeed per market to a chain (default anvil on :8545), list markets with limits, fund pools; prints the JSON path
source "$AML_ROOT/scripts/lib.sh"

usage() {
  cat >&2 <<'EOF'
usage: ./aml deploy [--rpc-url URL] [--out FILE] [--governance-delay SECONDS]
  --rpc-url URL   JSON-RPC endpoint (default http://127.0.0.1:8545); it must hold the anvil dev accounts' ether
  --out FILE      where to write the deployment JSON (default .data/deployments/<chainId>.json)
  --governance-delay SECONDS
                  set last, once everything is configured: loosening governance changes wait this long and the
                  guardian may cancel them (default $AML_GOVERNANCE_DELAY, else 0 on a loopback RPC — a dev chain
                  configures itself — and 172800, two days, anywhere else)
Uses the well-known anvil dev accounts (mnemonic "test test ... junk"): admin = 0, oracle signers = 1..5
(threshold 3), demo traders = 6..8, guardian = 9, the dev price feeds' updater = 11 (never an oracle signer: the
feed is the guard against the quorum). The last line on stdout is the JSON file's path.
EOF
}

rpc_url="http://127.0.0.1:8545"
out=""
governance_delay="${AML_GOVERNANCE_DELAY:-}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rpc-url) [[ $# -ge 2 ]] || die "--rpc-url needs a value"; rpc_url="$2"; shift 2 ;;
    --out) [[ $# -ge 2 ]] || die "--out needs a value"; out="$2"; shift 2 ;;
    --governance-delay) [[ $# -ge 2 ]] || die "--governance-delay needs a value"; governance_delay="$2"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage; die "unknown argument '$1'" ;;
  esac
done

if [[ -z "$governance_delay" ]]; then
  case "$rpc_url" in
    http://127.0.0.1:* | http://localhost:* | ws://127.0.0.1:* | ws://localhost:*) governance_delay=0 ;;
    *) governance_delay=172800 ;;
  esac
fi
[[ "$governance_delay" =~ ^[0-9]+$ ]] || die "--governance-delay: '$governance_delay' is not a number of seconds"
(( governance_delay <= 2592000 )) || die "--governance-delay: $governance_delay is above the contract's 30 days (2592000 s)"
[[ -x "$AML_FORGE" && -x "$AML_CAST" ]] || die "forge/cast not installed: run ./aml setup"
contracts="$AML_ROOT/Contracts.Solidity"

log "building contracts"
(cd "$contracts" && "$AML_FORGE" build --quiet) >&2 || die "forge build failed in Contracts.Solidity"
node "$contracts/abi/sync.mjs" --check || die "Contracts.Solidity/abi is stale: run (cd Contracts.Solidity && node abi/sync.mjs --write) and commit"

chain_id="$("$AML_CAST" chain-id --rpc-url "$rpc_url" 2>/dev/null)" || die "no chain answers at --rpc-url $rpc_url"
[[ -n "$out" ]] || out="$AML_DATA/deployments/$chain_id.json"

# --- accounts: derived from the public anvil mnemonic, never stored -------------------------------------------
mnemonic="test test test test test test test test test test test junk"
key() { "$AML_CAST" wallet private-key "$mnemonic" "$1"; }
addr() { "$AML_CAST" wallet address --private-key "$(key "$1")"; }
admin_key="$(key 0)"
admin="$(addr 0)"
guardian="$(addr 9)"
signers=()
for i in 1 2 3 4 5; do signers+=("$(addr "$i")"); done
threshold=3
traders=()
for i in 6 7 8; do traders+=("$(addr "$i")"); done
feed_updater="$(addr 11)"
signer_list="[$(IFS=,; echo "${signers[*]}")]"

balance="$("$AML_CAST" balance "$admin" --rpc-url "$rpc_url")"
[[ "$balance" != "0" ]] || die "admin $admin has no ether on chain $chain_id: this verb expects anvil's dev accounts"

send() { # send KEY TO SIG ARGS...: one transaction, fails loudly
  local k="$1" to="$2"
  shift 2
  "$AML_CAST" send --rpc-url "$rpc_url" --private-key "$k" "$to" "$@" --json >/dev/null \
    || die "transaction failed: $to $1"
}

create() { # create CONTRACT_PATH:NAME ARGS... -> prints "address block"
  local json
  json="$(cd "$contracts" && "$AML_FORGE" create "$1" --rpc-url "$rpc_url" --private-key "$admin_key" --broadcast \
    --json ${2:+--constructor-args "${@:2}"})" || die "forge create $1 failed"
  local address tx block
  address="$(node -e 'const j=JSON.parse(process.argv[1]); console.log(j.deployedTo)' "$json")"
  tx="$(node -e 'const j=JSON.parse(process.argv[1]); console.log(j.transactionHash)' "$json")"
  block="$("$AML_CAST" receipt "$tx" blockNumber --rpc-url "$rpc_url")"
  echo "$address $block"
}

log "deploying MockUSDC to chain $chain_id at $rpc_url"
read -r token _ < <(create src/mocks/MockUSDC.sol:MockUSDC)
log "deploying MarginManager (admin $admin, guardian $guardian, $threshold of ${#signers[@]} signers)"
read -r manager deploy_block < <(create src/MarginManager.sol:MarginManager "$token" "$admin" "$guardian" "$signer_list" "$threshold")

# --- markets: marketId = keccak256(symbol). Leverage X100, margins and penalties in bps, ages in seconds. -----
# symbol maxLeverageX100 minMaintenanceMarginBps maxMaintenanceMarginBps maxMarginStepBps liquidationPenaltyBps maxPriceAge tighteningGrace
markets=(
  "BTC-USD 5000 50 2500 250 100 120 900"
  "ETH-USD 5000 50 2500 250 100 120 900"
  "SOL-USD 2500 100 2500 250 150 120 900"
  "DOGE-USD 1000 200 2500 250 200 120 900"
)
# Version 2 limits. Why these values: the feed deviation follows the assets' volatility (a 1 h candle of the FTX week
# replayed in a second moves BTC a few percent, DOGE ten), wide enough for a feed that publishes on 50 bps moves and
# narrow enough to refuse a wick or a repricing the independent feed does not show; a feed older than the price age
# (120 s) is no guard; 60 s from price to expiry leaves a relay time but no free option; one side's caps sum to
# 8,500,000 mUSDC across the markets, below the 10,000,000 vault that is the counterparty; the borrow rates (about 11-29 % a year on
# notional) grow with the asset's risk; 30 minutes without an applied decision open the emergency exit.
# Open-interest caps in mUSDC units.
# symbol maxFeedDeviationBps maxFeedAge maxDecisionTtl maxOpenInterestLong maxOpenInterestShort borrowRateBpsPerDay oracleLivenessTimeout
limits=(
  "BTC-USD 300 120 60 4000000000000 4000000000000 3 1800"
  "ETH-USD 300 120 60 3000000000000 3000000000000 3 1800"
  "SOL-USD 500 120 60 1000000000000 1000000000000 5 1800"
  "DOGE-USD 800 120 60 500000000000 500000000000 8 1800"
)
feed_decimals=8 # as Chainlink's USD feeds: the engine's E8 prices are the feeds' answers as they are
market_sig="setMarket(bytes32,(bool,uint32,uint32,uint32,uint32,uint32,uint64,uint64))"
limits_sig="setMarketLimits(bytes32,(address,uint32,uint64,uint64,uint128,uint128,uint32,uint64))"
markets_json="{}"
for i in "${!markets[@]}"; do
  read -r symbol lev mmin mmax step penalty age grace <<<"${markets[i]}"
  read -r lsymbol deviation feed_age ttl oi_long oi_short rate liveness <<<"${limits[i]}"
  [[ "$lsymbol" == "$symbol" ]] || die "limits row $i is for $lsymbol, not $symbol"
  id="$("$AML_CAST" keccak "$symbol")"
  log "listing $symbol ($id): ${lev} X100, margin ${mmin}..${mmax} bps"
  send "$admin_key" "$manager" "$market_sig" "$id" "(true,$lev,$mmin,$mmax,$step,$penalty,$age,$grace)"
  # No first answer: the feed has no round until its updater (the replay feed in dev) publishes one, and until then
  # the contract refuses the market's decisions (FeedUnavailable) rather than check them against a made-up price.
  read -r feed _ < <(create src/mocks/MockPriceFeed.sol:MockPriceFeed "$feed_decimals" "$feed_updater" 0)
  log "$symbol: price feed $feed (updater $feed_updater), deviation ${deviation} bps, decision TTL ${ttl} s, borrow ${rate} bps/day"
  send "$admin_key" "$manager" "$limits_sig" "$id" "($feed,$deviation,$feed_age,$ttl,$oi_long,$oi_short,$rate,$liveness)"
  markets_json="$(node -e '
    const [j, s, id, lev, mmin, mmax, step, pen, age, grace, feed, dev, feedAge, ttl, oiL, oiS, rate, live] = process.argv.slice(1);
    const o = JSON.parse(j);
    o[s] = { marketId: id, listed: true, maxLeverageX100: +lev, minMaintenanceMarginBps: +mmin,
             maxMaintenanceMarginBps: +mmax, maxMarginStepBps: +step, liquidationPenaltyBps: +pen,
             maxPriceAge: +age, tighteningGrace: +grace,
             limits: { priceFeed: feed, maxFeedDeviationBps: +dev, maxFeedAge: +feedAge, maxDecisionTtl: +ttl,
                       maxOpenInterestLong: oiL, maxOpenInterestShort: oiS, borrowRateBpsPerDay: +rate,
                       oracleLivenessTimeout: +live } };
    console.log(JSON.stringify(o));' "$markets_json" "$symbol" "$id" "$lev" "$mmin" "$mmax" "$step" "$penalty" "$age" "$grace" \
    "$feed" "$deviation" "$feed_age" "$ttl" "$oi_long" "$oi_short" "$rate" "$liveness")"
done

# --- money: mock USDC has 6 decimals -----------------------------------------------------------------------
vault=10000000000000    # 10,000,000 USDC of liquidity (the counterparty of every position)
insurance=1000000000000 # 1,000,000 USDC of insurance (first payer of bad debt)
per_trader=1000000000000 # 1,000,000 USDC per demo trader
max_uint="0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
log "funding vault ($vault) and insurance ($insurance)"
send "$admin_key" "$token" "mint(address,uint256)" "$admin" "$((vault + insurance))"
send "$admin_key" "$token" "approve(address,uint256)" "$manager" "$max_uint"
send "$admin_key" "$manager" "depositLiquidity(uint256)" "$vault"
send "$admin_key" "$manager" "fundInsurance(uint256)" "$insurance"
for i in 0 1 2; do
  log "funding demo trader ${traders[i]} ($per_trader) and approving MarginManager"
  send "$admin_key" "$token" "mint(address,uint256)" "${traders[i]}" "$per_trader"
  send "$(key $((6 + i)))" "$token" "approve(address,uint256)" "$manager" "$max_uint"
done

# --- read back what the chain now holds, so the file can be trusted -------------------------------------------
got_threshold="$("$AML_CAST" call "$manager" "threshold()(uint8)" --rpc-url "$rpc_url")"
got_signers="$("$AML_CAST" call "$manager" "signers()(address[])" --rpc-url "$rpc_url")"
[[ "$got_threshold" == "$threshold" ]] || die "threshold on chain is $got_threshold, expected $threshold"
got_signers="${got_signers// /}"
[[ "${got_signers,,}" == "${signer_list,,}" ]] || die "signers on chain $got_signers differ from $signer_list"
got_vault="$("$AML_CAST" call "$manager" "vaultBalance()(uint128)" --rpc-url "$rpc_url" | cut -d' ' -f1)"
[[ "$got_vault" == "$vault" ]] || die "vault balance on chain is $got_vault, expected $vault"
got_limits="$("$AML_CAST" call "$manager" "getMarketLimits(bytes32)((address,uint32,uint64,uint64,uint128,uint128,uint32,uint64))" \
  "$("$AML_CAST" keccak BTC-USD)" --rpc-url "$rpc_url")"
[[ "$got_limits" == *", 300, 120, 60, "* ]] || die "BTC-USD limits on chain are $got_limits"

# --- governance: the delay comes last, so that everything above applied at once -------------------------------
if (( governance_delay > 0 )); then
  log "governance delay $governance_delay s: from now on loosening changes are queued and the guardian may cancel them"
  send "$admin_key" "$manager" "setGovernanceDelay(uint64)" "$governance_delay"
fi
got_delay="$("$AML_CAST" call "$manager" "governanceDelay()(uint64)" --rpc-url "$rpc_url" | cut -d' ' -f1)"
[[ "$got_delay" == "$governance_delay" ]] || die "governance delay on chain is $got_delay, expected $governance_delay"

mkdir -p "$(dirname "$out")"
node -e '
  const [out, chainId, rpcUrl, mm, token, admin, guardian, signers, threshold, block, markets, traders, vault, ins,
         feedUpdater, delay] = process.argv.slice(1);
  const doc = {
    chainId: +chainId, rpcUrl, marginManager: mm, collateralToken: token, admin, guardian,
    signers: signers.split(","), threshold: +threshold, deployBlock: +block,
    markets: JSON.parse(markets), traders: traders.split(","),
    vaultFunding: vault, insuranceFunding: ins, feedUpdater, governanceDelay: +delay,
    abi: { marginManager: "Contracts.Solidity/abi/MarginManager.json", collateralToken: "Contracts.Solidity/abi/MockUSDC.json",
           priceFeed: "Contracts.Solidity/abi/MockPriceFeed.json" }
  };
  require("fs").writeFileSync(out, JSON.stringify(doc, null, 2) + "\n");' \
  "$out" "$chain_id" "$rpc_url" "$manager" "$token" "$admin" "$guardian" "$(IFS=,; echo "${signers[*]}")" \
  "$threshold" "$deploy_block" "$markets_json" "$(IFS=,; echo "${traders[*]}")" "$vault" "$insurance" \
  "$feed_updater" "$governance_delay"
log "MarginManager $manager, MockUSDC $token, block $deploy_block"
echo "$out"
