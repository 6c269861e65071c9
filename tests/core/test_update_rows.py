"""core.bulk.update_rows: each row gets its own values, of every column type a route's status has, in one statement
per batch; rows not passed are untouched."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import bulk
from routes.models import Route

pytestmark = pytest.mark.django_db

FIELDS = ["health", "conditions", "certificate", "address", "last_synced_at", "progressing_since", "applied_revision"]


def test_each_row_gets_its_own_values_and_others_are_left_alone(submit):
    routes = [submit(f"r{i}", host=f"r{i}.shop.example.com") for i in range(5)]
    untouched = Route.objects.values().get(pk=routes[4].pk)
    at = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    for i, route in enumerate(routes[:4]):
        route.health = ["Healthy", "Degraded", "Progressing", "Unknown"][i]
        route.conditions = [{"type": "Applied", "status": "True", "message": f"it's route {i} (100% done)"}]
        route.certificate = {} if i % 2 else {"ready": True, "not_after": None}
        route.address = "" if i == 0 else f"203.0.113.{i}"
        route.last_synced_at = at if i else None
        route.progressing_since = None
        route.applied_revision = i or None

    with CaptureQueriesContext(connection) as queries:
        bulk.update_rows(routes[:4], FIELDS, batch_size=3)

    assert len(queries) == 2  # batches of 3 and 1
    for route in routes[:4]:
        stored = Route.objects.get(pk=route.pk)
        assert [getattr(stored, name) for name in FIELDS] == [getattr(route, name) for name in FIELDS]
    assert Route.objects.values().get(pk=routes[4].pk) == untouched


def test_nothing_to_write_sends_nothing():
    with CaptureQueriesContext(connection) as queries:
        bulk.update_rows([], FIELDS)
    assert not queries
