"""Shared fixtures: users in their roles, teams, clusters, and routes made through the real services.

`make test` runs pytest through scripts/test.sh, which sets test keys and provides a throwaway PostgreSQL
(DATABASE_URL) and Redis (PORTICO_TEST_REDIS_URL).
"""
import pytest

pytest_plugins = ["tests.factories"]


@pytest.fixture(autouse=True)
def _directory_root(settings, tmp_path):
    settings.PORTICO_DIRECTORY_ROOT = tmp_path / "clusters"
