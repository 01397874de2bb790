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

  local pg_name="${STACK_PG_NAME:-pg-dev}" chain_state=""
  STACK_DEPLOYMENT="$AML_DATA/deployments/run.json"
  # ./aml run and ./aml cluster keep dev state: the database and the chain are one unit, kept or started fresh
  # together (a database beside a fresh chain showed positions that exist on no chain). ./aml bench keeps nothing.
  if [[ "${STACK_DEV_STATE:-0}" == 1 ]]; then
    chain_state="$AML_DATA/$pg_name-chain.json"
    dev_state_check "$pg_name" "$chain_state"
  fi
  if pg_available; then
    pg_start "$pg_name" "${AML_DEV_PG_PORT:-55432}" # ./aml bench uses a fresh cluster of its own
    export ConnectionStrings__Postgres="$AML_PG_CONNECTION"
  else
    log "no PostgreSQL (initdb/pg_ctl not found): silos keep state in memory and lose it on exit"
  fi

  anvil_start "${AML_RPC_PORT:-8545}" "$chain_state"
  if [[ -n "$chain_state" && -f "$chain_state" && -f "$STACK_DEPLOYMENT" ]] \
    && [[ "$("$AML_CAST" code --rpc-url "$AML_RPC_URL" "$(node -e 'console.log(require(process.argv[1]).marginManager)' "$STACK_DEPLOYMENT")")" != 0x ]]; then
    log "dev state kept: chain at block $("$AML_CAST" block-number --rpc-url "$AML_RPC_URL") ($chain_state) with database .data/$pg_name; --reset starts both fresh"
  else
    bash "$AML_ROOT/scripts/verbs/deploy.sh" --rpc-url "$AML_RPC_URL" --out "$STACK_DEPLOYMENT" >/dev/null
  fi
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

# dev_state_check PG_NAME CHAIN_STATE: the dev database and the saved chain exist both or neither. One without the
# other (a chain saved by a ./aml run from before, a database kept by a crash before the first save, or --reset)
# would disagree, so both go and start fresh — said on the terminal.
dev_state_check() {
  local pg_dir="$AML_DATA/$1" chain="$2" reason=""
  if [[ "${STACK_RESET:-0}" == 1 ]]; then
    reason="--reset"
  elif [[ -f "$pg_dir/PG_VERSION" && ! -f "$chain" ]]; then
    reason="the database .data/$1 has no saved chain beside it"
  elif [[ ! -f "$pg_dir/PG_VERSION" && -f "$chain" ]]; then
    reason="the saved chain has no database beside it"
  elif [[ -f "$chain" && ! -f "$STACK_DEPLOYMENT" ]]; then
    reason="the saved chain has no deployment file"
  fi
  [[ -z "$reason" ]] && return 0
  if [[ -f "$pg_dir/postmaster.pid" ]] && _pg_as_owner pg_ctl -D "$pg_dir" status >/dev/null 2>&1; then
    die "dev state must start fresh ($reason), but PostgreSQL .data/$1 is running: stop the ./aml verb that uses it first"
  fi
  log "dev state starts fresh ($reason): removing .data/$1, the saved chain and the deployment file"
  rm -rf "$pg_dir" "$chain" "$STACK_DEPLOYMENT"
}

dev_key() { "$AML_CAST" wallet private-key "test test test test test test test test test test test junk" "$1"; }

# Ports: silo INDEX listens on 8080+10·INDEX (gRPC), 8081+10·INDEX (HTTP), 8082+10·INDEX (admin: /metrics, the
# dashboard, the admin page's session), 11111+INDEX and 30000+INDEX, each plus
# AML_PORT_OFFSET (default 0), so that a second stack (a check beside a running ./aml run) binds none of the first's.
AML_PORT_OFFSET="${AML_PORT_OFFSET:-0}"
[[ "$AML_PORT_OFFSET" =~ ^[0-9]+$ ]] || die "AML_PORT_OFFSET must be a number of ports, not '$AML_PORT_OFFSET'"
silo_grpc_port() { echo $((8080 + 10 * $1 + AML_PORT_OFFSET)); }
silo_http_port() { echo $((8081 + 10 * $1 + AML_PORT_OFFSET)); }
silo_admin_port() { echo $((8082 + 10 * $1 + AML_PORT_OFFSET)); }

# start_silo INDEX REPLAY(0|1) [supervise]: starts silo INDEX and waits until it is ready. With "supervise", a
# supervisor restarts the silo whenever it dies after having been ready (with backoff, saying which silo died, how,
# its last log lines and where its log is), and SILO_PIDS holds the supervisor; the silo's own pid is in
# .data/silo-INDEX.pid. Without (./aml bench), SILO_PIDS holds the silo itself.
start_silo() {
  local index="$1" replay="$2" supervise="${3:-}" grpc http
  grpc="$(silo_grpc_port "$1")" http="$(silo_http_port "$1")"
  local command=(env "${SILO_ENV[@]}")
  [[ "$replay" == 1 ]] && command+=("${STACK_REPLAY[@]}")
  command+=(Aml__GrpcPort="$grpc" Aml__HttpPort="$http" Aml__AdminPort="$(silo_admin_port "$index")" Aml__SiloPort=$((11111 + index + AML_PORT_OFFSET))
    Aml__GatewayPort=$((30000 + index + AML_PORT_OFFSET)) dotnet "$AML_ROOT/Silo/bin/Release/net10.0/Aml.Orleans.Silo.dll")
  local log="$AML_DATA/silo-$index.log" ready="$AML_DATA/silo-$index.ready" pid
  rm -f "$ready"
  : >"$log"
  if [[ "$supervise" == supervise ]]; then
    _supervise "$index" "$log" "$ready" "$http" "${command[@]}" &
  else
    "${command[@]}" >"$log" 2>&1 &
  fi
  pid=$!
  on_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
  SILO_PIDS+=("$pid")
  local _
  for _ in $(seq 1 120); do
    if curl -fs "http://127.0.0.1:$http/health/ready" >/dev/null 2>&1; then
      touch "$ready"
      log "silo $index ready: gRPC :$grpc, HTTP :$http"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { _last_lines "$log"; die "silo $index exited before it was ready; its log: $log"; }
    sleep 0.5
  done
  die "silo $index is not ready after 60 s; see $log"
}

# _supervise INDEX LOG READY HTTP_PORT COMMAND…: runs COMMAND, and runs it again each time it dies (exit code other
# than 0) once READY exists (a silo that never got ready has a configuration problem a restart does not fix:
# start_silo reports it). Backoff doubles
# from 1 s to 30 s, and starts over after a run that lasted a minute. TERM stops silo and supervisor (the verb's cleanup
# sends it; as a background job the supervisor ignores the terminal's INT, which the silo itself gets).
_supervise() {
  local index="$1" log="$2" ready="$3" http="$4"
  shift 4
  local child="" stopping=0 delay=1 restarts=0 started code how
  trap 'stopping=1; [[ -n "$child" ]] && kill "$child" 2>/dev/null' TERM
  trap - EXIT # the cleanups belong to the verb's own shell, not to this copy of it
  while true; do
    started=$SECONDS
    "$@" >>"$log" 2>&1 &
    child=$!
    echo "$child" >"$AML_DATA/silo-$index.pid"
    if ((restarts > 0)); then
      until curl -fs "http://127.0.0.1:$http/health/ready" >/dev/null 2>&1 || ! kill -0 "$child" 2>/dev/null || ((stopping)); do
        sleep 0.5 & wait $! || true
      done
      kill -0 "$child" 2>/dev/null && ((!stopping)) && log "silo $index (pid $child) is ready again after restart $restarts"
    fi
    code=0
    wait "$child" || code=$?
    while kill -0 "$child" 2>/dev/null; do wait "$child" || code=$?; done # wait returns early when a trap runs
    ((stopping)) && exit 0
    [[ -f "$ready" ]] || exit "$code"
    if ((code == 0)); then # a silo exits 0 only when asked to stop (SIGTERM/SIGINT to it): not a crash
      log "silo $index (pid $child) stopped (exit code 0) and is not restarted; its log: $log"
      exit 0
    fi
    how="exit code $code"
    ((code > 128)) && how+=" (killed by SIG$(kill -l $((code - 128)) 2>/dev/null || echo $((code - 128))))"
    ((SECONDS - started >= 60)) && delay=1
    restarts=$((restarts + 1))
    log "silo $index (pid $child) died after $((SECONDS - started)) s with $how; its log: $log; last lines:"
    _last_lines "$log"
    log "restarting silo $index in $delay s (restart $restarts)"
    echo "--- aml: silo $index restarted after $how ---" >>"$log"
    sleep "$delay" & wait $! || true
    ((stopping)) && exit 0
    delay=$((delay * 2 > 30 ? 30 : delay * 2))
  done
}

_last_lines() { tail -n "${2:-12}" "$1" | sed 's/^/    | /' >&2; }

STACK_REPLAY=()
SILO_PIDS=()
