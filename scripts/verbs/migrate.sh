# help: apply the PostgreSQL schema (ConnectionStrings__Postgres, else the local dev cluster) and exit
source "$AML_ROOT/scripts/lib.sh"

if [[ -z "${ConnectionStrings__Postgres:-}" ]]; then
  pg_available || die "no PostgreSQL: set ConnectionStrings__Postgres or install initdb/pg_ctl (./aml setup does on Debian)"
  pg_start pg-dev "${AML_DEV_PG_PORT:-55432}"
  export ConnectionStrings__Postgres="$AML_PG_CONNECTION"
fi

log "building the silo"
dotnet build "$AML_ROOT/Silo" -c Release --nologo -v quiet >/dev/null || die "build failed: run dotnet build Silo -c Release"
dotnet "$AML_ROOT/Silo/bin/Release/net10.0/Aml.Orleans.Silo.dll" --migrate-only
