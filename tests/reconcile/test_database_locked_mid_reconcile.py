"""A reconcile whose database write meets a lock (make run's SQLite) after it already changed the cluster
converges on the next attempt: the task retries it, and a sync goes on with the other routes and takes it up
again. The case that was seen: a removal deleted a directory cluster's files, then the database update failed, and
the route stayed "being deleted"."""

import pytest
from django.db import OperationalError

from routes import reconcile, services, tasks
from routes.models import Route

pytestmark = pytest.mark.django_db


@pytest.fixture
def locked_once(monkeypatch):
    """The database write that records a removal fails once with "database is locked" (after the files went)."""
    real = reconcile.apply.record
    failures = []

    def record(actor, verb, obj, **kwargs):
        if verb == "remove" and not failures:
            failures.append(obj.pk)
            raise OperationalError("database is locked")
        return real(actor, verb, obj, **kwargs)

    monkeypatch.setattr(reconcile.apply, "record", record)
    return failures


def files_of(cluster) -> list[str]:
    return sorted(p.name for p in cluster.directory_path().rglob("*.yaml"))


def applied_then_deleted(submit, pat, alice, name="cart", **spec):
    route = services.approve_route(submit(name, **spec), user=pat)
    assert reconcile.reconcile_route(route.pk) is reconcile.Result.APPLIED
    services.request_deletion(route, user=alice)
    return route


def test_the_task_retries_a_removal_whose_database_write_met_the_lock(submit, pat, alice, cluster, locked_once):
    route = applied_then_deleted(submit, pat, alice)
    assert files_of(cluster)

    result = tasks.reconcile_route.apply(args=[str(route.pk)])

    assert locked_once == [route.pk]  # the first attempt deleted the files, then failed to record it
    assert result.get() == "deleted" and files_of(cluster) == []
    assert Route.objects.get(pk=route.pk).deleted_at is not None


def test_a_sync_goes_on_with_other_routes_and_takes_the_locked_one_up_next_time(
    submit, pat, alice, cluster, locked_once
):
    first = applied_then_deleted(submit, pat, alice, "cart")
    second = applied_then_deleted(submit, pat, alice, "shop", host="www.shop.example.com")

    report = reconcile.sync_cluster(cluster.pk)

    assert len(locked_once) == 1 and "the database stayed locked" in report.errors[0]
    stuck, done = sorted((first, second), key=lambda r: r.pk != locked_once[0])
    assert Route.objects.get(pk=done.pk).deleted_at is not None
    assert Route.objects.get(pk=stuck.pk).deleted_at is None  # still being deleted, its files already gone

    reconcile.sync_cluster(cluster.pk)

    assert Route.objects.get(pk=stuck.pk).deleted_at is not None and files_of(cluster) == []
