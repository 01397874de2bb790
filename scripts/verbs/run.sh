# help: start the whole system locally (chain, contracts, silo, gateway, market replay); Ctrl-C stops it
source "$AML_ROOT/scripts/lib.sh"

usage() {
  cat >&2 <<'USAGE'
usage: ./aml run [--from DATE] [--speed SECONDS_PER_CANDLE] [--no-demo]
  --from DATE      replay real hourly candles from this date (default 2022-11-06, the FTX week)
  --speed S        real seconds per replayed hour (default 1)
  --no-demo        do not open the demo positions
Everything runs on localhost and stops on Ctrl-C: PostgreSQL (.data/pg-dev), anvil like MegaETH, the contracts,
models trained on the data before --from and registered on-chain, the silo with its gateway, the replay.
USAGE
}

from="2022-11-06"
speed="1"
demo=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --from) [[ $# -ge 2 ]] || die "--from needs a date"; from="$2"; shift 2 ;;
    --speed) [[ $# -ge 2 ]] || die "--speed needs seconds"; speed="$2"; shift 2 ;;
    --no-demo) demo=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage; die "unknown argument '$1'" ;;
  esac
done

bash "$AML_ROOT/scripts/verbs/setup.sh" >&2
log "building (Release)"
dotnet build "$AML_ROOT/Aml.Orleans.sln" -c Release --nologo -v quiet >/dev/null || die "build failed: run dotnet build -c Release"

grpc_port="${AML_GRPC_PORT:-8080}" http_port="${AML_HTTP_PORT:-8081}"
if pg_available; then
  pg_start pg-dev "${AML_DEV_PG_PORT:-55432}"
  export ConnectionStrings__Postgres="$AML_PG_CONNECTION"
else
  log "no PostgreSQL (initdb/pg_ctl not found): the silo keeps state in memory and loses it on exit"
fi

anvil_start "${AML_RPC_PORT:-8545}"
deployment="$AML_DATA/deployments/run.json"
bash "$AML_ROOT/scripts/verbs/deploy.sh" --rpc-url "$AML_RPC_URL" --out "$deployment" >/dev/null
manager="$(node -e 'console.log(require(process.argv[1]).marginManager)' "$deployment")"

# Dev keys only: the well-known anvil accounts, derived from the public mnemonic, passed through the environment.
mnemonic="test test test test test test test test test test test junk"
key() { "$AML_CAST" wallet private-key "$mnemonic" "$1"; }
for i in 0 1 2 3 4; do export "Aml__Oracle__SignerKeys__$i=$(key $((i + 1)))"; done
export Aml__Oracle__RelayerKey="$(key 10)" Aml__Chain__GuardianKey="$(key 9)" Aml__Chain__AdminKey="$(key 0)"

cli="$AML_ROOT/Cli/bin/Release/net10.0/aml-cli.dll"
models="$AML_DATA/models-$from"
export Aml__Risk__ModelsRoot="$models"
silo_env=()
for pair in BTC-USD:BTCUSDT ETH-USD:ETHUSDT SOL-USD:SOLUSDT DOGE-USD:DOGEUSDT; do
  asset="${pair%%:*}" file="$AML_ROOT/data/market/${pair##*:}-1h.csv"
  if [[ ! -f "$models/$asset/model.json" ]]; then
    log "training $asset on the candles before $from"
    dotnet "$cli" train --data "$file" --to "$from" --out "$models/$asset" --trees 60 >&2 || die "training $asset failed"
  fi
  hash="$(node -e 'console.log(require(process.argv[1]).ModelHash)' "$models/$asset/model.json")"
  "$AML_CAST" send --rpc-url "$AML_RPC_URL" --private-key "$Aml__Chain__AdminKey" "$manager" "setModel(bytes32,bool)" "$hash" true >/dev/null \
    || die "registering model $hash failed"
  # Asset names hold a dash, which an exported shell variable cannot: these go to the silo through env(1).
  silo_env+=("Aml__Replay__Files__$asset=$file" "Aml__Trainer__History__${asset}__0=$file")
  log "$asset serves model $hash (registered on-chain)"
done

export Aml__Chain__DeploymentFile="$deployment" Aml__GrpcPort="$grpc_port" Aml__HttpPort="$http_port"
export Aml__Replay__From="$from" Aml__Replay__CandleEvery="00:00:$(printf '%06.3f' "$speed")"
export Aml__Auth__SigningKey="$(head -c 32 /dev/urandom | base64)"
log "starting the silo (log: $AML_DATA/silo.log)"
env "${silo_env[@]}" dotnet "$AML_ROOT/Silo/bin/Release/net10.0/Aml.Orleans.Silo.dll" >"$AML_DATA/silo.log" 2>&1 &
silo=$!
on_exit "kill $silo 2>/dev/null; wait $silo 2>/dev/null"
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$http_port/health/ready" >/dev/null 2>&1 && break
  kill -0 "$silo" 2>/dev/null || die "the silo exited; see $AML_DATA/silo.log"
  sleep 0.5
done
curl -fs "http://127.0.0.1:$http_port/health/ready" >/dev/null || die "the silo is not ready after 60 s; see $AML_DATA/silo.log"

if [[ "$demo" == 1 ]]; then
  sleep 2 # let the replay warm the features up
  gateway="http://127.0.0.1:$grpc_port"
  dotnet "$cli" open --gateway "$gateway" --key "$(key 6)" --asset BTC-USD --long --collateral 1000 --leverage 10 >&2 || log "demo open failed"
  dotnet "$cli" open --gateway "$gateway" --key "$(key 7)" --asset ETH-USD --long --collateral 500 --leverage 5 >&2 || log "demo open failed"
  dotnet "$cli" open --gateway "$gateway" --key "$(key 8)" --asset SOL-USD --short --collateral 800 --leverage 3 >&2 || log "demo open failed"
fi

cat >&2 <<INFO

  AML is running (Ctrl-C stops everything):
    gateway (gRPC)      http://127.0.0.1:$grpc_port
    REST + gRPC-Web     http://127.0.0.1:$http_port/v1/markets
    health              http://127.0.0.1:$http_port/health/ready
    metrics             http://127.0.0.1:$http_port/metrics
    chain (anvil)       $AML_RPC_URL   MarginManager $manager
    silo log            $AML_DATA/silo.log
    try                 dotnet $cli positions --key $(key 6)

INFO
wait "$silo"
