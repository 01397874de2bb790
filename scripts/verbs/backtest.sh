# help: executed-liquidation backtest of static, volscaled and aml with frontiers: --data <csv>... [--from] [--to] [--models <dir>] [--margin-coverage <0..1>] [--json] [--plot <dir>]
source "$AML_ROOT/scripts/lib.sh"
dotnet build "$AML_ROOT/Cli" -c Release --nologo -v quiet >/dev/null || die "build failed: run dotnet build Cli -c Release"
exec dotnet "$AML_ROOT/Cli/bin/Release/net10.0/aml-cli.dll" backtest "$@"
