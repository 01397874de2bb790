# help: install the pinned toolchain (npm), restore NuGet, check PostgreSQL; safe to run again
source "$AML_ROOT/scripts/lib.sh"

require() { command -v "$1" >/dev/null || die "$1 is missing: $2"; }
require dotnet "install the .NET 10 SDK (https://dot.net)"
require node "install Node.js 20 or newer with npm"
require npm "install npm (comes with Node.js)"

# npm toolchain, pinned by tools/package-lock.json; reinstalled only when the lock file changes.
stamp="$AML_NODE_MODULES/.aml-lock.sha256"
want="$(sha256sum "$AML_ROOT/tools/package-lock.json" | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" || ! -x "$AML_FORGE" ]]; then
  log "installing the Solidity toolchain (forge, anvil, cast, solc-js, OpenZeppelin, solhint) from tools/package-lock.json"
  # --ignore-scripts: the foundry postinstall scripts are not needed; the binaries ship in the platform packages.
  (cd "$AML_ROOT/tools" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null) \
    || die "npm ci failed in tools/"
  echo "$want" >"$stamp"
fi
[[ -x "$AML_FORGE" && -x "$AML_ANVIL" && -x "$AML_CAST" ]] || die "forge/anvil/cast binaries missing after npm ci (linux-amd64 only)"
chmod +x "$AML_ROOT/tools/solc"
# Foundry resolves libraries inside its project root only; the link keeps one copy of the npm packages.
ln -sfn ../tools/node_modules "$AML_ROOT/Contracts.Solidity/node_modules"

log "restoring NuGet packages"
dotnet restore "$AML_ROOT/Aml.Orleans.sln" --nologo -v q >/dev/null || die "dotnet restore failed"

if pg_available; then
  log "PostgreSQL: $(postgres --version 2>/dev/null || echo found)"
elif [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  log "PostgreSQL is not on PATH: installing Debian's postgresql"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
    || die "apt-get install postgresql failed"
  pgbin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  export PATH="$pgbin:$PATH"
  ln -sf "$pgbin/initdb" "$pgbin/pg_ctl" "$pgbin/postgres" /usr/local/bin/ 2>/dev/null || true
else
  log "PostgreSQL (initdb, pg_ctl) is not on PATH and cannot be installed here: grain state falls back to memory" \
    "for ./aml run, and the PostgreSQL tests fail. Install PostgreSQL 15+ to fix."
fi
# libsecp256k1 (Debian's libsecp256k1-1): the oracle's quorum signer, ~5x BouncyCastle; without it signing falls
# back to BouncyCastle and the native/managed property test fails, so a fresh machine gets it here.
if ! ldconfig -p 2>/dev/null | grep -q 'libsecp256k1.so.1 '; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    log "installing Debian's libsecp256k1-1 (native secp256k1 signing)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libsecp256k1-1 >/dev/null) \
      || die "apt-get install libsecp256k1-1 failed"
  else
    log "libsecp256k1.so.1 is missing and cannot be installed here (needs root and apt-get): signing uses BouncyCastle"
  fi
fi
# kubectl (its built-in kustomize renders k8s/ in the deploy tests) and promtool (checks and unit-tests the alert
# rules): Debian's packages unpacked under tools/debian, not installed, so they never replace a kubectl already on
# PATH and need neither root nor the packages' dependencies (both are static Go binaries).
unpack_debian() { # unpack_debian PACKAGE BINARY
  local package="$1" binary="$AML_DEBIAN_TOOLS/$1/usr/bin/$2" work
  [[ -x "$binary" ]] && return 0
  command -v apt-get >/dev/null || { log "$package: no apt-get here, so the deploy and alert-rule tests fail (see k8s/README.md)"; return 0; }
  log "unpacking Debian's $package into tools/debian/$package"
  work="$(mktemp -d)"
  mkdir -p "$AML_DEBIAN_TOOLS/$package"
  # A fresh machine may have no package lists yet: update them once (as root) and try again.
  (cd "$work" && { apt-get download -q "$package" >/dev/null 2>&1 \
      || { [[ $(id -u) -eq 0 ]] && apt-get update -qq >/dev/null 2>&1 && apt-get download -q "$package" >/dev/null 2>&1; }; } \
    && dpkg-deb -x "$package"_*.deb "$AML_DEBIAN_TOOLS/$package") \
    || { rm -rf "$work"; die "apt-get download $package failed (as root, apt-get update first)"; }
  rm -rf "$work"
  [[ -x "$binary" ]] || die "$package has no usr/bin/$2"
}
unpack_debian kubernetes-client kubectl
unpack_debian prometheus promtool
log "setup done"
