"""The reconciler never writes over another route's object: a route whose revision names an object that carries
another live route's label is Degraded with the reason, and the object keeps its owner's content
(docs/security.md, "One owner per object").

Requests like that are refused now; these routes were stored before the rule. Before, the second route's apply
rewrote the first's Service (selector, targetPort, route label), the sync kept whichever route had the smaller
id, and the victim stayed Synced/Healthy.
"""

from dataclasses import replace

import pytest
import yaml

from routes import reconcile, services
from routes.domain.values import Backend
from routes.models import Route
from tests.factories import stored_before_the_rule
from tests.reconcile.conftest import SERVICE

pytestmark = pytest.mark.django_db

FRONTEND = Backend(service_name="frontend", service_port=80, target_port=8080, selector={"app": "frontend"})
EVIL = Backend(service_name="evil", service_port=80, target_port=9999, selector={"app": "evil"})


def victim_and_hijack(submit, pat, on=None):
    """Two approved routes of namespace shop that both manage Service "frontend": the victim's, applied first,
    and the hijacker's, stored before the rule. The hijacker is the route with the smaller id, the one the sync's
    old tie-break (smallest id wins) sided with."""
    extra = {"on": on} if on is not None else {}
    hijack, victim = sorted(
        (
            submit(name, host=f"{name}.shop.example.com", backend=replace(EVIL, service_name=name), **extra)
            for name in ("route-a", "route-b")
        ),
        key=lambda route: str(route.pk),
    )
    victim = services.approve_route(stored_before_the_rule(victim, FRONTEND), user=pat)
    reconcile.reconcile_route(victim.pk)
    hijack = stored_before_the_rule(services.approve_route(hijack, user=pat), Backend(service_name="frontend"))
    return Route.objects.get(pk=victim.pk), hijack


def held_message(victim):
    return (
        f'Service shop/frontend belongs to route "shop/{victim.name}" of team "shop"; Portico will not change '
        "another route's object. Give this route its own object (another Service name), or send traffic to that "
        "Service as an existing Service."
    )


def service_file(cluster) -> dict:
    return yaml.safe_load((cluster.directory_path() / "shop/service-frontend.yaml").read_text())


def test_a_second_owner_is_degraded_and_the_service_keeps_its_owner_on_a_directory_cluster(submit, pat, alice, cluster):
    victim, hijack = victim_and_hijack(submit, pat)
    before = service_file(cluster)

    assert reconcile.reconcile_route(hijack.pk) is reconcile.Result.DEGRADED
    reconcile.sync_cluster(cluster.pk)
    reconcile.sync_cluster(cluster.pk)

    assert service_file(cluster) == before
    hijack, victim = Route.objects.get(pk=hijack.pk), Route.objects.get(pk=victim.pk)
    assert (hijack.sync, hijack.health) == ("OutOfSync", "Degraded")
    assert held_message(victim) in [c["message"] for c in hijack.conditions]
    assert (victim.sync, victim.health) == ("Synced", "Healthy")

    services.request_deletion(hijack, user=alice)
    reconcile.sync_cluster(cluster.pk)
    assert service_file(cluster) == before


def test_a_second_owner_sends_no_write_to_the_service_on_kubernetes(submit, pat, realkube, kube_cluster):
    victim, hijack = victim_and_hijack(submit, pat, on=kube_cluster)
    before = realkube.get(*SERVICE, "shop", "frontend")
    realkube.clear_requests()

    reconcile.reconcile_route(hijack.pk)
    reconcile.sync_cluster(kube_cluster.pk)
    reconcile.sync_cluster(kube_cluster.pk)

    assert [r.path for r in realkube.writes() if "/services/frontend" in r.path] == []
    assert realkube.get(*SERVICE, "shop", "frontend") == before
    hijack = Route.objects.get(pk=hijack.pk)
    assert hijack.health == "Degraded" and held_message(victim) in [c["message"] for c in hijack.conditions]
    assert Route.objects.get(pk=victim.pk).sync == "Synced"


def test_an_object_left_by_a_route_that_is_gone_is_taken_over(submit, pat, cluster):
    """Not a deadlock: a leftover whose route no longer exists is not held by anyone."""
    route = services.approve_route(submit("frontend", host="shop.example.com", backend=FRONTEND), user=pat)
    reconcile.reconcile_route(route.pk)
    leftover = service_file(cluster)
    leftover["metadata"]["labels"]["portico.dev/route"] = "00000000-0000-0000-0000-000000000000"
    (cluster.directory_path() / "shop/service-frontend.yaml").write_text(yaml.safe_dump(leftover))

    reconcile.sync_cluster(cluster.pk)

    assert service_file(cluster)["metadata"]["labels"]["portico.dev/route"] == str(route.pk)
    assert Route.objects.get(pk=route.pk).health == "Healthy"
