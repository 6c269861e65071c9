"""Shared fixtures: users in their roles, teams, clusters, and routes made through the real services.

`make test` runs pytest through scripts/test.sh, which sets test keys and provides a throwaway PostgreSQL
(DATABASE_URL) and Redis (PORTICO_TEST_REDIS_URL).
"""

import pytest

pytest_plugins = ["tests.kube.fixtures", "tests.realkube.fixtures", "tests.traffic.fixtures", "tests.factories"]


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.PORTICO_DIRECTORY_ROOT = tmp_path / "clusters"
    # The per-cluster rate limit is tested on its own (tests/clusters/test_kube_client.py); elsewhere it
    # would only make the emulator tests wait.
    settings.PORTICO_KUBE_QPS = 100000.0
    settings.PORTICO_KUBE_BURST = 100000
    # Users are made with passwords; the production hasher's deliberate slowness would dominate the suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Quiet syncs trust watches, which see a test's own edits of the cluster a moment after it makes them: every
    # sync of a test is a full one, except in the tests of quiet syncs (tests/reconcile/test_quiet_syncs.py).
    settings.PORTICO_SYNC_WATCH = False
