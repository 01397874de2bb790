# shellcheck shell=bash
# The local stack shared by `./aml run` and `./aml cluster`: PostgreSQL, anvil like MegaETH, the contracts, the
# dev keys (the well-known anvil accounts, derived from the public mnemonic, passed through the environment),
# models trained before the replay and registered on-chain. Source after lib.sh; then call stack_up FROM.

# The models' training cutoff and the replay's start unless a verb is told otherwise: the FTX week.
STACK_DEFAULT_FROM="2022-11-06"

# stack_up FROM: everything but the silos; exports what a silo reads and fills SILO_ENV for env(1).
stack_up() {
  local from="$1"
  bash "$AML_ROOT/scripts/verbs/setup.sh" >&2
  log "building (Release)"
  dotnet build "$AML_ROOT/Aml.Orleans.sln" -c Release --nologo -v quiet >/dev/null || die "build failed: run dotnet build -c Release"

  if pg_available; then
    pg_start "${STACK_PG_NAME:-pg-dev}" "${AML_DEV_PG_PORT:-55432}" # ./aml bench uses a fresh cluster of its own
    export ConnectionStrings__Postgres="$AML_PG_CONNECTION"
  else
    log "no PostgreSQL (initdb/pg_ctl not found): silos keep state in memory and lose it on exit"
  fi

  anvil_start "${AML_RPC_PORT:-8545}"
  STACK_DEPLOYMENT="$AML_DATA/deployments/run.json"
  bash "$AML_ROOT/scripts/verbs/deploy.sh" --rpc-url "$AML_RPC_URL" --out "$STACK_DEPLOYMENT" >/dev/null
  STACK_MANAGER="$(node -e 'console.log(require(process.argv[1]).marginManager)' "$STACK_DEPLOYMENT")"

  local i
  for i in 0 1 2 3 4; do export "Aml__Oracle__SignerKeys__$i=$(dev_key $((i + 1)))"; done
  export Aml__Oracle__RelayerKey="$(dev_key 10)" Aml__Chain__GuardianKey="$(dev_key 9)" Aml__Chain__AdminKey="$(dev_key 0)"

  STACK_CLI="$AML_ROOT/Cli/bin/Release/net10.0/aml-cli.dll"
  local models="$AML_DATA/models-$from" pair asset file hash
  export Aml__Risk__ModelsRoot="$models"
  SILO_ENV=()
  for pair in BTC-USD:BTCUSDT ETH-USD:ETHUSDT SOL-USD:SOLUSDT DOGE-USD:DOGEUSDT; do
    asset="${pair%%:*}" file="$AML_ROOT/data/market/${pair##*:}-1h.csv"
    if [[ ! -f "$models/$asset/calibration.json" ]]; then # a set from before Risk v2 has no calibration.json: retrain
      log "training $asset on the candles before $from"
      dotnet "$STACK_CLI" train --data "$file" --to "$from" --out "$models/$asset" --trees 60 >&2 || die "training $asset failed"
    fi
    hash="$(node -e 'console.log(require(process.argv[1]).ModelHash)' "$models/$asset/model.json")"
    "$AML_CAST" send --rpc-url "$AML_RPC_URL" --private-key "$Aml__Chain__AdminKey" "$STACK_MANAGER" "setModel(bytes32,bool)" "$hash" true >/dev/null \
      || die "registering model $hash failed"
    # Asset names hold a dash, which an exported shell variable cannot: these go to the silos through env(1).
    SILO_ENV+=("Aml__Trainer__History__${asset}__0=$file")
    STACK_REPLAY+=("Aml__Replay__Files__$asset=$file")
    log "$asset serves model $hash (registered on-chain)"
  done

  # The silo that replays also publishes to the dev price feeds, with the feeds' own updater key (account 11).
  STACK_REPLAY+=("Aml__Replay__FeedKey=$(dev_key 11)")
  export Aml__Chain__DeploymentFile="$STACK_DEPLOYMENT" Aml__Replay__From="$from"
  # A local anvil: the web app offers its dev wallet, and its Vite dev server (npm run dev in Web/) may call the gateway.
  export Aml__Web__DevChain=true Aml__Web__DevOrigin="http://localhost:5173" Aml__Web__Root="$AML_ROOT/Web/dist"
  export Aml__Auth__SigningKey="$(head -c 32 /dev/urandom | base64)" # one key for every silo: a token works on each gateway
}

dev_key() { "$AML_CAST" wallet private-key "test test test test test test test test test test test junk" "$1"; }

# start_silo INDEX REPLAY(0|1): silo INDEX on ports 8080+10·INDEX (gRPC), 8081+10·INDEX (HTTP), 11111+INDEX, 30000+INDEX.
start_silo() {
  local index="$1" replay="$2" grpc=$((8080 + 10 * $1)) http=$((8081 + 10 * $1))
  local extra=("${SILO_ENV[@]}")
  [[ "$replay" == 1 ]] && extra+=("${STACK_REPLAY[@]}")
  env "${extra[@]}" Aml__GrpcPort="$grpc" Aml__HttpPort="$http" Aml__SiloPort=$((11111 + index)) Aml__GatewayPort=$((30000 + index)) \
    dotnet "$AML_ROOT/Silo/bin/Release/net10.0/Aml.Orleans.Silo.dll" >"$AML_DATA/silo-$index.log" 2>&1 &
  local pid=$!
  on_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
  SILO_PIDS+=("$pid")
  local _
  for _ in $(seq 1 120); do
    curl -fs "http://127.0.0.1:$http/health/ready" >/dev/null 2>&1 && { log "silo $index ready: gRPC :$grpc, HTTP :$http"; return 0; }
    kill -0 "$pid" 2>/dev/null || die "silo $index exited; see $AML_DATA/silo-$index.log"
    sleep 0.5
  done
  die "silo $index is not ready after 60 s; see $AML_DATA/silo-$index.log"
}
STACK_REPLAY=()
SILO_PIDS=()
