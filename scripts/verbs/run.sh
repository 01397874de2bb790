# help: start the whole system locally (chain, contracts, silo, gateway, market replay); Ctrl-C stops it
source "$AML_ROOT/scripts/lib.sh"
die "./aml run is wired by issue 7 (Silo host: gRPC gateway … and ./aml run); until then use ./aml test"
