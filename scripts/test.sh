#!/usr/bin/env bash
# Run pytest the way CI does: throwaway PostgreSQL and Redis, test-only keys. Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
export SECRET_KEY=test-secret-key
export PORTICO_ENCRYPTION_KEYS="dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdDE="
export CELERY_BROKER_URL="${CELERY_BROKER_URL:-memory://}"
export HOME="${PORTICO_TEST_HOME:-$(mktemp -d /tmp/portico-home.XXXXXX)}"  # Chromium writes its profile here, not in /root
exec scripts/with-services.sh .venv/bin/pytest -p no:cacheprovider "$@"
