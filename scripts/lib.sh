# Shared by every verb: paths, logging, the pinned tools, and the services a verb starts and must stop.
# shellcheck shell=bash
set -euo pipefail

: "${AML_ROOT:?run through ./aml}"
AML_DATA="$AML_ROOT/.data"
AML_NODE_MODULES="$AML_ROOT/tools/node_modules"
export AML_FORGE="$AML_NODE_MODULES/@foundry-rs/forge-linux-amd64/bin/forge"
export AML_ANVIL="$AML_NODE_MODULES/@foundry-rs/anvil-linux-amd64/bin/anvil"
export AML_CAST="$AML_NODE_MODULES/@foundry-rs/cast-linux-amd64/bin/cast"
# Debian's kubectl 1.20 (kustomize v2.0.3) and promtool 2.42, unpacked by setup.sh: what CI has, not whatever
# kubectl happens to be on PATH (k8s/README.md).
AML_DEBIAN_TOOLS="$AML_ROOT/tools/debian"
export AML_KUBECTL="$AML_DEBIAN_TOOLS/kubernetes-client/usr/bin/kubectl"
export AML_PROMTOOL="$AML_DEBIAN_TOOLS/prometheus/usr/bin/promtool"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf 'aml: %s\n' "$*" >&2; }
die() { printf 'aml: error: %s\n' "$*" >&2; exit 1; }

# --- cleanup: services a verb starts are stopped when it exits, also on failure or Ctrl-C -------------------
_aml_cleanups=()
on_exit() { _aml_cleanups+=("$1"); }
_aml_run_cleanups() {
  local i
  for ((i = ${#_aml_cleanups[@]} - 1; i >= 0; i--)); do eval "${_aml_cleanups[i]}" || true; done
}
trap _aml_run_cleanups EXIT
trap 'exit 130' INT TERM

# --- PostgreSQL: a throwaway cluster under .data/, run as the postgres user when we are root ----------------
# (postgres refuses to run as root). Connection details are exported for the .NET code and tests.
pg_available() { command -v initdb >/dev/null && command -v pg_ctl >/dev/null; }

_pg_as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# pg_start NAME PORT: starts (creating if needed) the cluster .data/NAME on 127.0.0.1:PORT, exports AML_PG_CONNECTION.
pg_start() {
  local name="$1" port="$2" dir="$AML_DATA/$1"
  mkdir -p "$AML_DATA"
  if [[ ! -f "$dir/PG_VERSION" ]]; then
    mkdir -p "$dir"
    [[ $(id -u) -eq 0 ]] && chown postgres "$dir"
    chmod 700 "$dir"
    _pg_as_owner initdb -D "$dir" -U aml --auth=trust --encoding=UTF8 --locale=C >"$AML_DATA/$name-initdb.log" 2>&1 \
      || die "initdb failed, see $AML_DATA/$name-initdb.log"
  fi
  if ! _pg_as_owner pg_ctl -D "$dir" status >/dev/null 2>&1; then
    _pg_as_owner pg_ctl -D "$dir" -w -t 60 -l "$dir/server.log" \
      -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off -c max_connections=200" start >/dev/null \
      || die "PostgreSQL did not start, see $dir/server.log"
    on_exit "pg_stop $name"
  else
    # Already running (another verb started it): use the port it listens on, line 4 of its postmaster.pid.
    port="$(sed -n 4p "$dir/postmaster.pid")"
  fi
  export AML_PG_CONNECTION="Host=127.0.0.1;Port=$port;Username=aml;Database=postgres"
  log "PostgreSQL $name on 127.0.0.1:$port"
}

pg_stop() { _pg_as_owner pg_ctl -D "$AML_DATA/$1" -m fast -w stop >/dev/null 2>&1 || true; }

# stores_postgres: the database of the model and outcome stores for a CLI verb (train --publish, verify, models):
# ConnectionStrings__Postgres when set, else the local dev cluster, as ./aml migrate.
stores_postgres() {
  [[ -n "${ConnectionStrings__Postgres:-}" ]] && return 0
  pg_available || die "no PostgreSQL: set ConnectionStrings__Postgres or install initdb/pg_ctl (./aml setup does on Debian)"
  pg_start pg-dev "${AML_DEV_PG_PORT:-55432}"
  export ConnectionStrings__Postgres="$AML_PG_CONNECTION"
}

# cli VERB ARGS...: builds the CLI and runs one of its verbs (not exec'd: a dev cluster started here stops on exit).
cli() {
  dotnet build "$AML_ROOT/Cli" -c Release --nologo -v quiet >/dev/null || die "build failed: run dotnet build Cli -c Release"
  dotnet "$AML_ROOT/Cli/bin/Release/net10.0/aml-cli.dll" "$@"
}

# --- anvil: configured like MegaETH (../shared/notes/MEGAETH.md) ---------------------------------------------
# 12 dev accounts: deploy.sh uses 0..9 (admin, signers, traders, guardian) and 11 (the dev price feeds' updater);
# 10 is the oracle's relayer.
ANVIL_FLAGS=(--host 127.0.0.1 --chain-id 6343 --hardfork prague --gas-limit 10000000000
  --code-size-limit 524288 --disable-min-priority-fee --accounts 12)

# anvil_start PORT [STATE_FILE]: starts anvil on 127.0.0.1:PORT, waits until it answers, exports AML_RPC_URL. With
# STATE_FILE the chain starts from it when it exists and is saved to it every 5 s and on exit.
anvil_start() {
  local port="$1" state=()
  [[ -n "${2:-}" ]] && state=(--state "$2" --state-interval 5)
  mkdir -p "$AML_DATA"
  # Older blocks' states go to a cache path of our own, removed on exit (anvil leaves its default one when killed).
  local states="$AML_DATA/anvil-$port-states"
  "$AML_ANVIL" "${ANVIL_FLAGS[@]}" "${state[@]}" --port "$port" --quiet --cache-path "$states" >"$AML_DATA/anvil-$port.log" 2>&1 &
  local pid=$!
  on_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf '$states'"
  export AML_RPC_URL="http://127.0.0.1:$port"
  local _
  for _ in $(seq 1 100); do
    if "$AML_CAST" chain-id --rpc-url "$AML_RPC_URL" >/dev/null 2>&1; then
      log "anvil on $AML_RPC_URL"
      return 0
    fi
    sleep 0.1
  done
  die "anvil did not answer on $AML_RPC_URL, see $AML_DATA/anvil-$port.log"
}
