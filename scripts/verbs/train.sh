# help: train and calibrate a model set: --data <csv>... --out <dir> [--publish] (see design/RISK.md)
source "$AML_ROOT/scripts/lib.sh"
# --publish writes the set to the model store.
[[ " $* " == *" --publish "* && " $* " != *" --postgres "* ]] && stores_postgres
cli train "$@"
