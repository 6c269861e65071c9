#!/usr/bin/env bash
# Build Dex, the tests' and the demo's OpenID Connect provider (sso/localidp.py), from its Go module (tools/dex/)
# once per machine, into a cache outside the repo keyed by its version, the same way scripts/kube-bins.sh builds
# kube-apiserver and etcd.
#   scripts/dex-bin.sh              build if missing, then print the bin folder
#   scripts/dex-bin.sh --print-dir  print the bin folder only (it may not be built yet)
# The cache root is $PORTICO_DEX_CACHE, else ${XDG_CACHE_HOME:-$HOME/.cache}/portico/dex. A build goes into a
# temporary folder renamed into place when done; a lock makes a second concurrent caller wait for the first.
set -euo pipefail
cd "$(dirname "$0")/.."

dex_version=$(awk '$1 == "require" && $2 == "github.com/dexidp/dex" { print $3; exit }
                   $1 == "github.com/dexidp/dex" && $2 ~ /^v/ { print $2; exit }' tools/dex/go.mod)
[ -n "$dex_version" ] || { echo "dex-bin: cannot read the Dex version from tools/dex/go.mod" >&2; exit 1; }
# The Dex release that pseudo-version is (tools/dex/go.mod says which commit), stamped into `dex version`.
dex_release=v2.41.1
build_revision=2
digest=$( (cat tools/dex/go.mod tools/dex/go.sum; echo "$build_revision") | sha256sum | cut -c1-8)
root="${PORTICO_DEX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/portico/dex}"
dest="$root/$dex_version-$digest"

if [ "${1:-}" = "--print-dir" ]; then echo "$dest/bin"; exit 0; fi
if [ -x "$dest/bin/dex" ]; then echo "$dest/bin"; exit 0; fi

if ! command -v go >/dev/null; then
    echo "dex-bin: Go is not installed. The tests' identity provider (Dex) is built from its Go module:" \
         "install Go 1.26 or newer (https://go.dev/doc/install) and run 'make dex-bin' again." >&2
    exit 1
fi

mkdir -p "$root"
exec 9>"$root/.lock"
if ! flock -n 9; then
    echo "dex-bin: another build of the same cache is running; waiting for it" >&2
    flock 9
fi
if [ -x "$dest/bin/dex" ]; then echo "$dest/bin"; exit 0; fi

tmp=$(mktemp -d "$root/.build.XXXXXX")
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
# cgo on: cmd/dex refers to its SQLite storage, which needs cgo (the tests and the demo use memory storage).
export GOTOOLCHAIN=local CGO_ENABLED=1 GOFLAGS=-mod=readonly
start=$(date +%s)
echo "dex-bin: building Dex $dex_version into $dest (first time only; see README)" >&2
mkdir "$tmp/bin"
(cd tools/dex && nice go build -trimpath -ldflags="-s -w -X main.version=$dex_release" -o "$tmp/bin/dex" \
    github.com/dexidp/dex/cmd/dex)
echo "dex-bin: dex built after $(( $(date +%s) - start ))s" >&2
"$tmp/bin/dex" version >&2
printf 'dex %s (%s)\nbuilt %s in %ss\n' "$dex_release" "$dex_version" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(( $(date +%s) - start ))" \
    > "$tmp/BUILD"
mv -T "$tmp" "$dest"
trap - EXIT
echo "$dest/bin"
