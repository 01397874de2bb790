# help: run N silo processes on localhost sharing PostgreSQL membership, a gateway on each (--silos N, default 3)
source "$AML_ROOT/scripts/lib.sh"
source "$AML_ROOT/scripts/stack.sh"

silos=3 from="$STACK_DEFAULT_FROM" speed="1"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --silos) [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || die "--silos needs a positive number"; silos="$2"; shift 2 ;;
    --from) [[ $# -ge 2 ]] || die "--from needs a date"; from="$2"; shift 2 ;;
    --speed) [[ $# -ge 2 ]] || die "--speed needs seconds"; speed="$2"; shift 2 ;;
    --reset) export STACK_RESET=1; shift ;; # a fresh database and chain, as ./aml run --reset
    *) die "unknown argument '$1' (usage: ./aml cluster [--silos N] [--from DATE] [--speed S] [--reset])" ;;
  esac
done
pg_available || die "a cluster shares PostgreSQL membership: install initdb/pg_ctl (./aml setup does on Debian as root)"

STACK_DEV_STATE=1 stack_up "$from"
export Aml__Replay__CandleEvery="00:00:$(printf '%06.3f' "$speed")"
for ((i = 0; i < silos; i++)); do
  start_silo "$i" $((i == 0 ? 1 : 0)) supervise # one feed for the cluster: the replay runs on silo 0 only
done

log "$silos silos up; gateways on gRPC :$(silo_grpc_port 0), :$(silo_grpc_port 1), … (HTTP :$(silo_http_port 0), …; admin page, dashboard and metrics :$(silo_admin_port 0), …); logs in $AML_DATA/silo-N.log"
log "kill one (kill -9 \$(cat $AML_DATA/silo-$((silos - 1)).pid)): its grains come back on the others, and it is restarted; Ctrl-C stops everything"
wait
