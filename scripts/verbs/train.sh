# help: train and calibrate a model set: --data <csv>... --out <dir> (see design/RISK.md)
source "$AML_ROOT/scripts/lib.sh"
dotnet build "$AML_ROOT/Cli" -c Release --nologo -v quiet >/dev/null || die "build failed: run dotnet build Cli -c Release"
exec dotnet "$AML_ROOT/Cli/bin/Release/net10.0/aml-cli.dll" train "$@"
