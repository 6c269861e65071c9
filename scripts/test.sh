#!/usr/bin/env bash
# Run pytest the way CI does: throwaway PostgreSQL and Redis, test-only keys. Arguments go to pytest.
# With PORTICO_WORKER_TESTS=1 the Celery broker is that Redis, for tests that start real worker processes.
set -euo pipefail
cd "$(dirname "$0")/.."
export SECRET_KEY=test-secret-key
export PORTICO_ENCRYPTION_KEYS="dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdDE="
# The local API server's binaries, and Traefik's and cert-manager's, live in a cache under the real HOME (scripts/kube-bins.sh): find it before
# HOME changes below.
export PORTICO_KUBE_BIN_DIR="${PORTICO_KUBE_BIN_DIR:-$(scripts/kube-bins.sh --print-dir)}"
export PORTICO_DEX_CACHE="${PORTICO_DEX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/portico/dex}"  # scripts/dex-bin.sh
export PORTICO_TRAFFIC_BIN_DIR="${PORTICO_TRAFFIC_BIN_DIR:-$(scripts/kube-bins.sh --traffic --print-dir)}"
export HOME="${PORTICO_TEST_HOME:-$(mktemp -d /tmp/portico-home.XXXXXX)}"  # Chromium writes its profile here, not in /root
export PORTICO_WORKER_TESTS="${PORTICO_WORKER_TESTS:-}"
# Worker processes the tests start make full syncs, as the tests themselves do (tests/conftest.py).
export PORTICO_SYNC_WATCH="${PORTICO_SYNC_WATCH:-false}"
exec scripts/with-services.sh bash -c '
    if [ -n "$PORTICO_WORKER_TESTS" ]; then export CELERY_BROKER_URL="$PORTICO_TEST_REDIS_URL"; else export CELERY_BROKER_URL="${CELERY_BROKER_URL:-memory://}"; fi
    .venv/bin/pytest -p no:cacheprovider "$@"
    status=$?
    # A marker selection that matches nothing is not a failure of the suite.
    [ $status -eq 5 ] && [ -n "$PORTICO_WORKER_TESTS" ] && exit 0
    exit $status
' pytest "$@"
