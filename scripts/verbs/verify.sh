# help: recompute a decision and check it against the chain: <digest | positionId> [--deployment <file>] (exit 1 on any failure)
source "$AML_ROOT/scripts/lib.sh"
# The stores: ConnectionStrings__Postgres, else the local dev cluster; the chain: AML_DEPLOYMENT, else the dev chain's file.
if [[ " $* " != *" --postgres "* && -z "${ConnectionStrings__Postgres:-}" ]]; then
  pg_available || die "no PostgreSQL: set ConnectionStrings__Postgres or install initdb/pg_ctl (./aml setup does on Debian)"
  pg_start pg-dev "${AML_DEV_PG_PORT:-55432}"
  export ConnectionStrings__Postgres="$AML_PG_CONNECTION"
fi
export AML_DEPLOYMENT="${AML_DEPLOYMENT:-$AML_DATA/deployments/run.json}"
dotnet build "$AML_ROOT/Cli" -c Release --nologo -v quiet >/dev/null || die "build failed: run dotnet build Cli -c Release"
exec dotnet "$AML_ROOT/Cli/bin/Release/net10.0/aml-cli.dll" verify "$@"
