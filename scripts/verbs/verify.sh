# help: recompute a decision and check it against the chain: <digest | positionId> [--deployment <file>] (exit 1 on any failure)
source "$AML_ROOT/scripts/lib.sh"
[[ " $* " == *" --postgres "* ]] || stores_postgres
# The chain: AML_DEPLOYMENT, else the file ./aml run deploys the dev chain to.
export AML_DEPLOYMENT="${AML_DEPLOYMENT:-$AML_DATA/deployments/run.json}"
cli verify "$@"
