"""A sync applies its unsettled routes in batches (routes/reconcile/batch.py): on the local kube-apiserver, the
objects, audit events and statuses are those the per-route path (``reconcile_route``, after each approval) writes,
with the bookkeeping in bulk."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import AuditEvent
from routes import reconcile
from routes.domain.values import Backend
from routes.models import Route

pytestmark = pytest.mark.django_db

KINDS = {
    "Service": ("v1", "services"),
    "Ingress": ("networking.k8s.io/v1", "ingresses"),
    "Certificate": ("cert-manager.io/v1", "certificates"),
}


def _routes(approve):
    return [
        approve("cart", host="shop.example.com", path="/"),
        approve("api", host="shop.example.com", path="/api"),  # shares the host's Certificate with cart
        approve(
            "web",
            host="web.shop.example.com",
            backend=Backend(
                service_name="web", service_port=80, target_port=8080, selector={"app": "web"}, service_type="ClusterIP"
            ),
        ),
        approve("blog", host="blog.shop.example.com"),
    ]


def _cluster_objects(realkube) -> dict:
    """Portico's objects on the server: what was applied (labels, annotations, spec), not the server's bookkeeping."""
    found = {}
    for api_version, plural in KINDS.values():
        for obj in realkube.list_objects(api_version, plural, "shop"):
            meta = obj["metadata"]
            if (meta.get("labels") or {}).get("app.kubernetes.io/managed-by") != "portico":
                continue
            spec = dict(obj.get("spec") or {})
            for allocated in ("clusterIP", "clusterIPs"):  # the server allocates these per object
                spec.pop(allocated, None)
            found[(obj["kind"], meta["name"])] = (meta.get("labels"), meta.get("annotations"), spec)
    return found


def _audit(after: int = 0) -> list:
    """The apply events recorded after event ``after`` (events are append-only)."""
    return sorted(
        AuditEvent.objects.filter(verb="apply", pk__gt=after).values_list(
            "actor_name", "object_type", "object_id", "object_repr", "team_id", "before", "after"
        )
    )


def _statuses(routes) -> dict:
    return {
        r.pk: (r.applied_revision, r.sync, r.health, [c["type"] for c in r.conditions], r.diagnostics)
        for r in Route.objects.filter(pk__in=[r.pk for r in routes])
    }


def _undo(realkube, routes) -> None:
    """Back to approved and never applied: objects deleted from the server, applied revisions and statuses reset."""
    for kind, name in _cluster_objects(realkube):
        assert realkube.delete(*KINDS[kind], "shop", name)
    Route.objects.filter(pk__in=[r.pk for r in routes]).update(applied_revision=None, conditions=[], diagnostics=[])


def test_a_batch_writes_the_objects_events_and_statuses_the_per_route_path_writes(approve, realkube, kube_cluster):
    realkube.serve("cart")
    routes = _routes(approve)
    for route in routes:
        assert reconcile.reconcile_route(route.pk) is reconcile.Result.APPLIED
    one_by_one = (_cluster_objects(realkube), _audit(), _statuses(routes))
    assert len(one_by_one[0]) == 8 and len(one_by_one[1]) == 4  # 4 Ingresses, 3 Certificates, 1 managed Service
    _undo(realkube, routes)
    assert _cluster_objects(realkube) == {}
    last_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()

    with CaptureQueriesContext(connection) as queries:
        report = reconcile.sync_cluster(kube_cluster.pk)

    assert report.reconciled == 4 and not report.errors
    assert (_cluster_objects(realkube), _audit(after=last_event), _statuses(routes)) == one_by_one
    sql = [q["sql"] for q in queries]
    # The bookkeeping in bulk: one INSERT of the audit events, applied revisions in one UPDATE.
    events, routes_table = AuditEvent._meta.db_table, Route._meta.db_table
    assert len([s for s in sql if s.startswith(f'INSERT INTO "{events}"')]) == 1
    assert len([s for s in sql if s.startswith(f'UPDATE "{routes_table}" SET "applied_revision"')]) == 1


def test_a_route_the_batch_cannot_apply_is_degraded_and_the_others_are_applied(approve, realkube, kube_cluster):
    realkube.create(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "blog", "namespace": "shop"},
            "spec": {"defaultBackend": {"service": {"name": "theirs", "port": {"number": 80}}}},
        }
    )
    routes = _routes(approve)

    report = reconcile.sync_cluster(kube_cluster.pk)

    assert report.reconciled == 4
    by_name = {r.name: r for r in Route.objects.filter(pk__in=[r.pk for r in routes])}
    assert {n: r.applied_revision for n, r in by_name.items()} == {"cart": 1, "api": 1, "web": 1, "blog": None}
    blog = by_name["blog"]
    assert (blog.health, blog.sync) == ("Degraded", "OutOfSync")
    assert any("already exists and is not managed by Portico" in c["message"] for c in blog.conditions)
    assert (
        realkube.get("networking.k8s.io/v1", "Ingress", "shop", "blog")["spec"]["defaultBackend"]["service"]["name"]
        == "theirs"
    )
    assert sorted(AuditEvent.objects.filter(verb="apply").values_list("object_id", flat=True)) == sorted(
        str(by_name[n].pk) for n in ("cart", "api", "web")
    )


def test_a_route_another_worker_is_applying_is_left_to_it(approve, realkube, kube_cluster, monkeypatch):
    """Its row is locked by that worker: the batch skips it rather than wait or apply it twice."""
    routes = _routes(approve)
    held = routes[0]
    real_apply = reconcile.batch.apply_objects
    applied = []

    def apply_objects(route, *args):
        applied.append(route.name)
        return real_apply(route, *args)

    monkeypatch.setattr(reconcile.batch, "apply_objects", apply_objects)
    monkeypatch.setattr(
        reconcile.batch.Route.objects, "select_for_update", _skipping(reconcile.batch.Route.objects, held.pk)
    )

    report = reconcile.sync_cluster(kube_cluster.pk)

    assert sorted(applied) == sorted(r.name for r in routes[1:])
    assert report.reconciled == 3
    assert Route.objects.get(pk=held.pk).applied_revision is None


def _skipping(manager, pk):
    """select_for_update(skip_locked=True) as if another transaction held the row ``pk``."""
    real = manager.select_for_update

    def select_for_update(*args, **kwargs):
        return real(*args, **kwargs).exclude(pk=pk)

    return select_for_update
