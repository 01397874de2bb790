# help: the model cards (training window and data, validation metrics, live coverage since promotion): [--asset A] [--json]
source "$AML_ROOT/scripts/lib.sh"
[[ " $* " == *" --postgres "* ]] || stores_postgres
cli models "$@"
