# help: run the benchmarks (tick path, risk path, Ethereum signing), then the load harness on a local stack (silo, gateway, anvil, PostgreSQL), and regenerate BENCHMARKS.md and BENCHMARKS.json; --quick for short jobs and a small load, --no-load for the micro-benchmarks only, --load-only for the load harness alone (BENCHMARKS.md then holds only its sections)
source "$AML_ROOT/scripts/lib.sh"

given=("$@") # for the report: the exact command that produced it
usage="usage: ./aml bench [--quick] [--filter PATTERN] [--no-load | --load-only] [--positions 10000,100000] [--buckets N] [--cascade 10000]"
job="default"
filters=('*TickPathBenchmarks*' '*PositionBookBenchmarks*' '*RiskPathBenchmarks*' '*EthereumBenchmarks*' '*SigningBenchmarks*')
load=1
micro=1
positions="10000,100000"
cascade=10000
buckets="" # book shards per tick-path market; empty: one per 62.5k positions
load_size=(--clients 16 --quotes 50 --opens 2)
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) job="short"; positions="10000"; cascade=1000; load_size=(--clients 16 --quotes 20 --opens 1); shift ;;
    --filter) [[ $# -ge 2 ]] || die "--filter needs a pattern"; filters=("$2"); shift 2 ;;
    --no-load) load=0; shift ;;
    --load-only) micro=0; shift ;;
    --positions) [[ $# -ge 2 ]] || die "--positions needs counts, e.g. 10000,100000"; positions="$2"; shift 2 ;;
    --buckets) [[ $# -ge 2 ]] || die "--buckets needs a number of book shards per market, e.g. 16 (1M positions' count)"; buckets="$2"; shift 2 ;;
    --cascade) [[ $# -ge 2 ]] || die "--cascade needs a number of positions (0: no cascade)"; cascade="$2"; shift 2 ;;
    *) die "unknown argument '$1' ($usage)" ;;
  esac
done

log "building the benchmarks (Release)"
dotnet build "$AML_ROOT/Benchmarks" -c Release --nologo -v quiet >/dev/null || die "build failed: dotnet build Benchmarks -c Release"
artifacts="$AML_DATA/benchmarks"
command=(dotnet "$AML_ROOT/Benchmarks/bin/Release/net10.0/Aml.Orleans.Benchmarks.dll" --filter "${filters[@]}" --job "$job" --artifacts "$artifacts")
if [[ "$micro" == 1 ]]; then
  rm -rf "$artifacts"
  log "running ${filters[*]} ($job job); BenchmarkDotNet shows its progress"
  "${command[@]}" >&2 || die "the benchmarks failed"
fi

load_report="$AML_DATA/load.md"
book_report="$AML_DATA/book.md"
record="$AML_DATA/BENCHMARKS.json" # copied beside BENCHMARKS.md once the whole run has succeeded
rm -f "$load_report" "$book_report" "$record"
if [[ "$load" == 1 ]]; then
  # The load harness needs the whole system: a fresh PostgreSQL of its own and anvil on ports apart from ./aml run's,
  # one silo with its gateway, models trained before the candles the gateway's market replays.
  source "$AML_ROOT/scripts/stack.sh"
  trained_to="$STACK_DEFAULT_FROM"
  export STACK_PG_NAME="pg-bench" AML_DEV_PG_PORT="${AML_BENCH_PG_PORT:-55442}" AML_RPC_PORT="${AML_BENCH_RPC_PORT:-8555}"
  if pg_available; then
    _pg_as_owner pg_ctl -D "$AML_DATA/pg-bench" stop -m fast >/dev/null 2>&1 || true
    rm -rf "$AML_DATA/pg-bench"
  fi
  stack_up "$trained_to"
  [[ -n "${AML_PG_CONNECTION:-}" ]] || die "the load harness needs PostgreSQL (initdb and pg_ctl): ./aml setup installs it"
  # The harness measures the gateway's capacity from one address with a few wallets: the budgets stay out of its way.
  for budget in SignInsPerWallet QuotesPerWallet OpensPerWallet SignInsPerAddress QuotesPerAddress OpensPerAddress; do
    export "Aml__RateLimits__$budget=100000000"
  done
  # About 62.5k rows per book shard (Grains/Book/README.md): the tick path's markets, one per count, get their buckets.
  # --buckets gives a small run the shard count of a large one (16 at 1M), so one tick's liquidations reach the oracle
  # from as many shards as they would there.
  assets=(SOL-USD ETH-USD DOGE-USD)
  IFS=, read -ra counts <<<"$positions"
  for i in "${!counts[@]}"; do
    SILO_ENV+=("Aml__Catalog__BookBuckets__${assets[$i]}=${buckets:-$(((counts[i] + 62499) / 62500))}")
  done
  start_silo 0 0
  # Keys 0..12: the deployment's roles (0..11) and the harness's own relayer (12), funded by the harness.
  dev_keys="$(for i in $(seq 0 12); do dev_key "$i"; done | paste -sd, -)"
  load_command=(dotnet "$AML_ROOT/Benchmarks/bin/Release/net10.0/Aml.Orleans.Benchmarks.dll" load
    --deployment "$STACK_DEPLOYMENT" --pg "$AML_PG_CONNECTION" --silo-pid "${SILO_PIDS[0]}"
    --data "$AML_ROOT/data/market" --trained-to "$trained_to" --positions "$positions" --cascade "$cascade" "${load_size[@]}" --out "$load_report" --record "$record")
  log "load harness: tick path at $positions positions, the gateway, the oracle path, a cascade of $cascade (progress below)"
  AML_DEV_KEYS="$dev_keys" "${load_command[@]}" || die "the load harness failed; the silo's log is $AML_DATA/silo-0.log"
  # The position book (Grains/Book): bytes per row at 10k/100k/1M, one structure per process, and 1M rows seeded into
  # a database of its own on the stack's PostgreSQL, loaded back and flushed as a delta.
  book_command=(dotnet "$AML_ROOT/Benchmarks/bin/Release/net10.0/Aml.Orleans.Benchmarks.dll" book
    --pg "$AML_PG_CONNECTION" --seed-rows 1000000 --buckets 16 --timeout-seconds 600 --out "$book_report")
  log "position book: memory per row and seeding 1M rows"
  "${book_command[@]}" >&2 || die "the position book census failed"
fi
out="$AML_ROOT/BENCHMARKS.md"
{
  echo "# Benchmarks"
  echo
  echo "Generated by \`./aml bench${given[*]:+ ${given[*]}}\` on $(date -u +%Y-%m-%d) — do not edit by hand."
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), .NET $(dotnet --version)."
  if [[ "$micro" == 1 ]]; then
    echo "Command: \`${command[*]/#$AML_ROOT\//}\`"
  else
    echo "The BenchmarkDotNet suites were not part of this run (\`--load-only\`); \`./aml bench\` runs them too."
  fi
  echo
  echo "Every table has its baseline (Ratio 1.00) measured in the same run. The figures issue 17 keeps on record are in BENCHMARKS.json."
  [[ "$micro" == 1 ]] && for report in "$artifacts"/results/*-report-github.md; do
    echo
    echo "## $(basename "$report" -report-github.md | sed 's/^Aml.Orleans.Benchmarks.//')"
    echo
    sed -n '/^|/,$p' "$report"
  done
  if [[ -f "$load_report" ]]; then
    echo
    echo "Load harness: \`$(printf '%s ' "${load_command[@]}" | sed -e "s#$AML_ROOT/##g" -e 's#--pg [^ ]*#--pg $AML_PG_CONNECTION#' -e 's# $##')\` (on the stack ./aml bench starts; AML_DEV_KEYS from the public anvil mnemonic)."
    echo
    cat "$load_report"
  fi
  if [[ -f "$book_report" ]]; then
    echo
    echo "## Position book: memory per row and seeding"
    echo
    echo "Command: \`$(printf '%s ' "${book_command[@]}" | sed -e "s#$AML_ROOT/##g" -e 's#--pg [^ ]*#--pg $AML_PG_CONNECTION#' -e 's# $##')\`"
    echo
    cat "$book_report"
  fi
} >"$out"
log "wrote $out"
if [[ -f "$record" ]]; then
  cp "$record" "$AML_ROOT/BENCHMARKS.json"
  log "wrote $AML_ROOT/BENCHMARKS.json"
fi
