# help: build with warnings as errors and run every suite (forge, dotnet); ends with "tests: N passed, N failed"
source "$AML_ROOT/scripts/lib.sh"

bash "$AML_ROOT/scripts/verbs/setup.sh"

passed=0 failed=0 skipped=0
results=()
record() { # record SUITE PASSED FAILED SKIPPED
  passed=$((passed + $2)) failed=$((failed + $3)) skipped=$((skipped + $4))
  results+=("$(printf '%-48s %5s passed %5s failed %5s skipped' "$1" "$2" "$3" "$4")")
}
logs="$AML_DATA/test-logs"
rm -rf "$logs" && mkdir -p "$logs"

log "building (warnings are errors)"
if ! dotnet build "$AML_ROOT/Aml.Orleans.sln" -c Release --no-restore --nologo -v q >"$logs/build.log" 2>&1; then
  grep -E 'error|warning' "$logs/build.log" | sort -u | head -40 >&2
  record "dotnet build" 0 1 0
  printf '%s\n' "${results[@]}"
  echo "tests: $passed passed, $failed failed, $skipped skipped"
  exit 1
fi

# Services for the suites that need them: one PostgreSQL for the test run. Tests start their own anvil
# instances (AML_ANVIL) on free ports so that suites stay independent.
if pg_available; then pg_start pg-test "${AML_TEST_PG_PORT:-55433}"; fi

# --- Solidity ------------------------------------------------------------------------------------------------
log "forge test"
forge_out="$logs/forge.log"
(cd "$AML_ROOT/Contracts.Solidity" && "$AML_FORGE" test) >"$forge_out" 2>&1 || true
summary="$(grep -E 'tests passed, [0-9]+ failed, [0-9]+ skipped' "$forge_out" | tail -1 || true)"
if [[ -n "$summary" ]]; then
  read -r p f s < <(sed -E 's/.*: ([0-9]+) tests passed, ([0-9]+) failed, ([0-9]+) skipped.*/\1 \2 \3/' <<<"$summary")
  record "forge test" "$p" "$f" "$s"
  [[ "$f" == 0 ]] || grep -E '^\[FAIL' "$forge_out" >&2 || true
else
  tail -30 "$forge_out" >&2
  record "forge test (did not run)" 0 1 0
fi
for check in fmt lint abi; do
  case "$check" in
    fmt) cmd=("$AML_FORGE" fmt --check) ;;
    abi) cmd=(node abi/sync.mjs --check) ;; # the committed ABI the C# side reads must match the compiled contract
    lint) cmd=(node "$AML_NODE_MODULES/solhint/solhint.js" --max-warnings 0 'src/**/*.sol') ;;
  esac
  if (cd "$AML_ROOT/Contracts.Solidity" && "${cmd[@]}") >"$logs/forge-$check.log" 2>&1; then
    record "solidity $check" 1 0 0
  else
    tail -30 "$logs/forge-$check.log" >&2
    record "solidity $check" 0 1 0
  fi
done

# --- Alert rules (k8s/monitoring/rules): promtool's syntax check, then a unit test per rule, firing and quiet --------
rules="$AML_ROOT/k8s/monitoring/rules"
for check in check test; do
  case "$check" in
    check) cmd=("$AML_PROMTOOL" check rules "$rules/aml.rules.yaml") ;;
    test) cmd=("$AML_PROMTOOL" test rules "$rules/aml.rules.test.yaml") ;;
  esac
  if [[ -x "$AML_PROMTOOL" ]] && (cd "$rules" && "${cmd[@]}") >"$logs/promtool-$check.log" 2>&1; then
    record "promtool $check rules" 1 0 0
  else
    [[ -x "$AML_PROMTOOL" ]] || echo "promtool missing at $AML_PROMTOOL (./aml setup unpacks it)" >"$logs/promtool-$check.log"
    tail -30 "$logs/promtool-$check.log" >&2
    record "promtool $check rules" 0 1 0
  fi
done

# --- the web app: vitest component tests, counted from vitest's JSON report ------------------------------------
log "web vitest"
vitest_json="$logs/web-vitest.json"
(cd "$AML_ROOT/Web" && npx --no-install vitest run --reporter=default --reporter=json --outputFile.json="$vitest_json") \
  >"$logs/web-vitest.log" 2>&1 || true
if counts="$(node -e 'const r = require(process.argv[1]);
  console.log(r.numPassedTests, r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0), r.numPendingTests + r.numTodoTests)' "$vitest_json" 2>/dev/null)"; then
  read -r p f s <<<"$counts"
  record "web vitest" "$p" "$f" "$s"
  [[ "$f" == 0 ]] || grep -E '(FAIL|×|AssertionError)' "$logs/web-vitest.log" | head -20 >&2 || true
else
  tail -30 "$logs/web-vitest.log" >&2
  record "web vitest (did not run)" 0 1 0
fi

# --- .NET: every project under Tests/, one after another (2 cores; suites that start services stay apart) -----
for project in "$AML_ROOT"/Tests/*/*.csproj; do
  name="$(basename "$project" .csproj)"
  log "dotnet test $name"
  out="$logs/$name.log"
  trx="$logs/$name.trx"
  rc=0
  dotnet test "$project" -c Release --no-build --nologo --blame-hang-timeout 10m \
    --logger "trx;LogFileName=$trx" --logger "console;verbosity=normal" >"$out" 2>&1 || rc=$?
  # The TRX counters are the stable summary; "executed" below "total" means the host died mid-run.
  counters="$(grep -o '<Counters [^>]*>' "$trx" 2>/dev/null || true)"
  if [[ -n "$counters" ]]; then
    attr() { sed -E "s/.* $1=\"([0-9]+)\".*/\1/" <<<"$counters"; }
    total=$(attr total) executed=$(attr executed) p=$(attr passed) f=$(attr failed)
    f=$((f + $(attr error) + $(attr timeout) + $(attr aborted)))
    if [[ "$rc" != 0 && "$f" == 0 ]]; then
      # dotnet test failed with no test failed: the host crashed or aborted, and the tests it never ran are not "skipped".
      tail -40 "$out" >&2
      record "$name (host exited $rc: $((total - executed)) not run)" "$p" 1 0
    else
      record "$name" "$p" "$f" "$((total - executed))"
    fi
    [[ "$f" == 0 ]] || grep -E '^\s+Failed ' "$out" | head -20 >&2 || true
  else
    tail -40 "$out" >&2
    record "$name (crashed or ran nothing)" 0 1 0
  fi
done

echo
printf '%s\n' "${results[@]}"
# The browser test's measurements (reported against issue 18's budgets, never asserted).
if [[ -f "$logs/web/measurements.txt" ]]; then sed 's/^/web: /' "$logs/web/measurements.txt"; fi
echo "logs: $logs"
echo "tests: $passed passed, $failed failed, $skipped skipped"
[[ "$failed" == 0 ]]
