#!/usr/bin/env bash
# Build the Kubernetes pieces of the tests and the demo from their Go modules once per machine, into a cache
# outside the repo keyed by their versions, so every later `make test`, `make run`, `make dev-cluster` and fresh
# clone reuses them. Two sets, each in a folder of its own:
#   the API server: kube-apiserver and etcd (tools/kube/)
#   the data path (--traffic): Traefik, the ingress controller, and cert-manager's controller (tools/traefik/,
#     tools/cert-manager/), run out of cluster against that API server (clusters/devcluster/traffic.py)
#   scripts/kube-bins.sh [--traffic]              build if missing, then print the bin folder
#   scripts/kube-bins.sh [--traffic] --print-dir  print the bin folder only (it may not be built yet)
# The cache root is $PORTICO_KUBE_CACHE, else ${XDG_CACHE_HOME:-$HOME/.cache}/portico/kube. A build goes into a
# temporary folder that is renamed into place when all its binaries are built, so an interrupted build is never
# taken as done; a lock makes a second concurrent caller wait for the first instead of building twice.
set -euo pipefail
cd "$(dirname "$0")/.."

traffic=0
print_dir=0
for arg in "$@"; do
    case "$arg" in
        --traffic) traffic=1 ;;
        --print-dir) print_dir=1 ;;
        *) echo "kube-bins: unknown argument $arg" >&2; exit 2 ;;
    esac
done

module_version() {  # module_version GO_MOD MODULE: the version a go.mod requires
    awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$1"
}
# Bump when the build itself changes (flags, stamping), so caches of the old build are not reused.
build_revision=1
if [ "$traffic" = 1 ]; then
    traefik_version=$(module_version tools/traefik/go.mod github.com/traefik/traefik/v3)
    cm_version=$(module_version tools/cert-manager/go.mod github.com/cert-manager/cert-manager)
    [ -n "$traefik_version" ] && [ -n "$cm_version" ] || { echo "kube-bins: cannot read versions from tools/traefik, tools/cert-manager" >&2; exit 1; }
    names="traefik cert-manager-controller"
    inputs="tools/traefik/go.mod tools/traefik/go.sum tools/cert-manager/go.mod tools/cert-manager/go.sum tools/cert-manager/main.go"
    folder="traefik$traefik_version-cert-manager$cm_version"
else
    k8s_version=$(module_version tools/kube/apiserver/go.mod k8s.io/kubernetes)
    etcd_version=$(module_version tools/kube/etcd/go.mod go.etcd.io/etcd/server/v3)
    [ -n "$k8s_version" ] && [ -n "$etcd_version" ] || { echo "kube-bins: cannot read versions from tools/kube/*/go.mod" >&2; exit 1; }
    names="kube-apiserver etcd"
    inputs="tools/kube/apiserver/go.mod tools/kube/apiserver/go.sum tools/kube/apiserver/main.go tools/kube/etcd/go.mod tools/kube/etcd/go.sum tools/kube/etcd/main.go"
    folder="$k8s_version-etcd$etcd_version"
fi
# The folder name carries the versions; the digest covers everything else that shapes the binaries (pins,
# replaces, mains, build revision), so editing any of them builds afresh instead of reusing a stale set.
# shellcheck disable=SC2086
digest=$( (cat $inputs; echo "$build_revision") | sha256sum | cut -c1-8)
root="${PORTICO_KUBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/portico/kube}"
dest="$root/$folder-$digest"

built() {
    for name in $names; do [ -x "$dest/bin/$name" ] || return 1; done
}
if [ "$print_dir" = 1 ]; then echo "$dest/bin"; exit 0; fi
if built; then echo "$dest/bin"; exit 0; fi

if ! command -v go >/dev/null; then
    cat >&2 <<EOF
kube-bins: Go is not installed. The tests' local Kubernetes API server and its ingress controller and
cert-manager are built from Go modules:
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
if built; then echo "$dest/bin"; exit 0; fi

tmp=$(mktemp -d "$root/.build.XXXXXX")
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly
build_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
start=$(date +%s)
mkdir "$tmp/bin"
if [ "$traffic" = 1 ]; then
    echo "kube-bins: building Traefik $traefik_version and cert-manager $cm_version into $dest (first time only; see README)" >&2
    (cd tools/cert-manager && nice go build -trimpath \
        -ldflags="-s -w -X github.com/cert-manager/cert-manager/pkg/util.AppVersion=$cm_version" \
        -o "$tmp/bin/cert-manager-controller" .)
    echo "kube-bins: cert-manager-controller built after $(( $(date +%s) - start ))s" >&2
    # Traefik's main package is a `tool` of tools/traefik's module (go.mod), built from the module cache.
    (cd tools/traefik && nice go build -trimpath \
        -ldflags="-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$traefik_version -X github.com/traefik/traefik/v3/pkg/version.BuildDate=$build_date" \
        -o "$tmp/bin/traefik" github.com/traefik/traefik/v3/cmd/traefik)
    echo "kube-bins: traefik built after $(( $(date +%s) - start ))s" >&2
    printf 'traefik %s\ncert-manager %s\nbuilt %s in %ss\n' "$traefik_version" "$cm_version" "$build_date" \
        "$(( $(date +%s) - start ))" > "$tmp/BUILD"
else
    minor=$(echo "$k8s_version" | cut -d. -f2)
    # Upstream's release build stamps the version the same way (hack/lib/version.sh); without it the server reports
    # v0.0.0-master and clients that read /version (Portico's probe among them) cannot tell which Kubernetes it is.
    pkg=k8s.io/component-base/version
    ldflags="-s -w -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldflags="$ldflags -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
    echo "kube-bins: building kube-apiserver $k8s_version and etcd $etcd_version into $dest (first time only; see README)" >&2
    (cd tools/kube/etcd && nice go build -trimpath -ldflags="-s -w" -o "$tmp/bin/etcd" .)
    echo "kube-bins: etcd built after $(( $(date +%s) - start ))s" >&2
    (cd tools/kube/apiserver && nice go build -trimpath -ldflags="$ldflags" -o "$tmp/bin/kube-apiserver" .)
    echo "kube-bins: kube-apiserver built after $(( $(date +%s) - start ))s" >&2
    "$tmp/bin/kube-apiserver" --version >&2
    printf 'kube-apiserver %s\netcd %s\nbuilt %s in %ss\n' "$k8s_version" "$etcd_version" "$build_date" \
        "$(( $(date +%s) - start ))" > "$tmp/BUILD"
fi
mv -T "$tmp" "$dest"
trap - EXIT
echo "$dest/bin"
