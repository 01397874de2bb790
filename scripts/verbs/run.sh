# help: start the whole system locally (chain, contracts, silo, gateway, market replay); Ctrl-C stops it
source "$AML_ROOT/scripts/lib.sh"
source "$AML_ROOT/scripts/stack.sh"

usage() {
  cat >&2 <<'USAGE'
usage: ./aml run [--from DATE] [--speed SECONDS_PER_CANDLE] [--no-demo] [--reset]
  --from DATE      replay real hourly candles from this date (default 2022-11-06, the FTX week)
  --speed S        real seconds per replayed hour (default 1)
  --no-demo        do not open the demo positions
  --reset          start from a fresh database and a fresh chain (otherwise both are kept from the last run)
Everything runs on localhost and stops on Ctrl-C: PostgreSQL (.data/pg-dev), anvil like MegaETH, the contracts,
models trained on the data before --from and registered on-chain, the silo with its gateway, the replay.
The database and the chain are kept together (.data/pg-dev, .data/pg-dev-chain.json) and the replay goes on where
it stopped; a silo that dies is restarted. AML_PORT_OFFSET, AML_RPC_PORT and AML_DEV_PG_PORT move the ports.
USAGE
}

from="$STACK_DEFAULT_FROM" speed="1" demo=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --from) [[ $# -ge 2 ]] || die "--from needs a date"; from="$2"; shift 2 ;;
    --speed) [[ $# -ge 2 ]] || die "--speed needs seconds"; speed="$2"; shift 2 ;;
    --no-demo) demo=0; shift ;;
    --reset) export STACK_RESET=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage; die "unknown argument '$1'" ;;
  esac
done

STACK_DEV_STATE=1 stack_up "$from"
export Aml__Replay__CandleEvery="00:00:$(printf '%06.3f' "$speed")"
start_silo 0 1 supervise
grpc="$(silo_grpc_port 0)" http="$(silo_http_port 0)" admin="$(silo_admin_port 0)"

if [[ "$demo" == 1 ]]; then
  sleep 2 # let the replay warm the features up
  gateway="http://127.0.0.1:$grpc"
  dotnet "$STACK_CLI" open --gateway "$gateway" --key "$(dev_key 6)" --asset BTC-USD --long --collateral 1000 --leverage 10 >&2 || log "demo open failed"
  dotnet "$STACK_CLI" open --gateway "$gateway" --key "$(dev_key 7)" --asset ETH-USD --long --collateral 500 --leverage 5 >&2 || log "demo open failed"
  dotnet "$STACK_CLI" open --gateway "$gateway" --key "$(dev_key 8)" --asset SOL-USD --short --collateral 800 --leverage 3 >&2 || log "demo open failed"
fi

cat >&2 <<INFO

  AML is running (Ctrl-C stops everything):
    web app             http://127.0.0.1:$http/   (sign in with the dev wallet, anvil account 6)
    gateway (gRPC)      http://127.0.0.1:$grpc
    REST + gRPC-Web     http://127.0.0.1:$http/v1/markets
    health              http://127.0.0.1:$http/health/ready
    admin page          http://127.0.0.1:$admin/#admin   (sign in with the admin wallet: the dev wallet's account 0)
    dashboard (admin)   http://127.0.0.1:$admin/dashboard/   (after signing in on the admin page: its session cookie)
    metrics (admin)     http://127.0.0.1:$admin/metrics
    chain (anvil)       $AML_RPC_URL   MarginManager $STACK_MANAGER
    silo log            $AML_DATA/silo-0.log   (a silo that dies is restarted; this terminal says why)
    try                 dotnet $STACK_CLI positions --key $(dev_key 6)

INFO
wait "${SILO_PIDS[0]}" # the supervisor: it returns only when stopped
