#!/usr/bin/env bash
# Build kube-apiserver and etcd from their Go modules (tools/kube/) once per machine, into a cache outside the
# repo keyed by their versions, so every later `make test`, `make dev-cluster` and fresh clone reuses them.
#   scripts/kube-bins.sh              build if missing, then print the bin folder
#   scripts/kube-bins.sh --print-dir  print the bin folder only (it may not be built yet)
# The cache root is $PORTICO_KUBE_CACHE, else ${XDG_CACHE_HOME:-$HOME/.cache}/portico/kube. A build goes into a
# temporary folder that is renamed into place when both binaries are built, so an interrupted build is never
# taken as done; a lock makes a second concurrent caller wait for the first instead of building twice.
set -euo pipefail
cd "$(dirname "$0")/.."

module_version() {  # module_version GO_MOD MODULE: the version a go.mod requires
    awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$1"
}
k8s_version=$(module_version tools/kube/apiserver/go.mod k8s.io/kubernetes)
etcd_version=$(module_version tools/kube/etcd/go.mod go.etcd.io/etcd/server/v3)
[ -n "$k8s_version" ] && [ -n "$etcd_version" ] || { echo "kube-bins: cannot read versions from tools/kube/*/go.mod" >&2; exit 1; }
# Bump when the build itself changes (flags, stamping), so caches of the old build are not reused.
build_revision=1
# The folder name carries the versions; the digest covers everything else that shapes the binaries (pins,
# replaces, mains, build revision), so editing any of them builds afresh instead of reusing a stale pair.
digest=$( (cat tools/kube/apiserver/go.mod tools/kube/apiserver/go.sum tools/kube/apiserver/main.go \
    tools/kube/etcd/go.mod tools/kube/etcd/go.sum tools/kube/etcd/main.go; echo "$build_revision") | sha256sum | cut -c1-8)
root="${PORTICO_KUBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/portico/kube}"
dest="$root/$k8s_version-etcd$etcd_version-$digest"

if [ "${1:-}" = "--print-dir" ]; then echo "$dest/bin"; exit 0; fi
if [ -x "$dest/bin/kube-apiserver" ] && [ -x "$dest/bin/etcd" ]; then echo "$dest/bin"; exit 0; fi

if ! command -v go >/dev/null; then
    cat >&2 <<EOF
kube-bins: Go is not installed. The tests' local Kubernetes API server is built from Go modules:
install Go 1.26 or newer (https://go.dev/doc/install) and run 'make kube-bins' again.
EOF
    exit 1
fi

mkdir -p "$root"
exec 9>"$root/.lock"
if ! flock -n 9; then
    echo "kube-bins: another build of the same cache is running; waiting for it" >&2
    flock 9
fi
if [ -x "$dest/bin/kube-apiserver" ] && [ -x "$dest/bin/etcd" ]; then echo "$dest/bin"; exit 0; fi

tmp=$(mktemp -d "$root/.build.XXXXXX")
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly
build_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
minor=$(echo "$k8s_version" | cut -d. -f2)
# Upstream's release build stamps the version the same way (hack/lib/version.sh); without it the server reports
# v0.0.0-master and clients that read /version (Portico's probe among them) cannot tell which Kubernetes it is.
pkg=k8s.io/component-base/version
ldflags="-s -w -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
ldflags="$ldflags -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
start=$(date +%s)
echo "kube-bins: building kube-apiserver $k8s_version and etcd $etcd_version into $dest (first time only; see README)" >&2
mkdir "$tmp/bin"
(cd tools/kube/etcd && nice go build -trimpath -ldflags="-s -w" -o "$tmp/bin/etcd" .)
echo "kube-bins: etcd built after $(( $(date +%s) - start ))s" >&2
(cd tools/kube/apiserver && nice go build -trimpath -ldflags="$ldflags" -o "$tmp/bin/kube-apiserver" .)
echo "kube-bins: kube-apiserver built after $(( $(date +%s) - start ))s" >&2
"$tmp/bin/kube-apiserver" --version >&2
printf 'kube-apiserver %s\netcd %s\nbuilt %s in %ss\n' "$k8s_version" "$etcd_version" "$build_date" \
    "$(( $(date +%s) - start ))" > "$tmp/BUILD"
mv -T "$tmp" "$dest"
trap - EXIT
echo "$dest/bin"
