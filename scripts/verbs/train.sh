# help: train and calibrate a model set: --data <csv>... --out <dir> [--publish] (see design/RISK.md)
source "$AML_ROOT/scripts/lib.sh"
# --publish writes the set to the model store: ConnectionStrings__Postgres, else the local dev cluster (as ./aml migrate).
if [[ " $* " == *" --publish "* && " $* " != *" --postgres "* && -z "${ConnectionStrings__Postgres:-}" ]]; then
  pg_available || die "no PostgreSQL for --publish: set ConnectionStrings__Postgres or install initdb/pg_ctl (./aml setup does on Debian)"
  pg_start pg-dev "${AML_DEV_PG_PORT:-55432}"
  export ConnectionStrings__Postgres="$AML_PG_CONNECTION"
fi
dotnet build "$AML_ROOT/Cli" -c Release --nologo -v quiet >/dev/null || die "build failed: run dotnet build Cli -c Release"
exec dotnet "$AML_ROOT/Cli/bin/Release/net10.0/aml-cli.dll" train "$@"
