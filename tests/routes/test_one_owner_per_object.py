"""One owner per object in policy and the review workflow: what a route owns, the pure check, a race between two
requests for one Service, and the admin's approve action (docs/security.md, "One owner per object")."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from routes import checks, services
from routes.domain.policy.conflicts import check_conflicts, owned_objects
from routes.domain.render import render_route
from routes.domain.values import CONFLICT, Backend, ClusterSettings, OwnedObject, RouteSpec, RouteTarget
from routes.models import Route
from tests.factories import spec as make_spec
from tests.factories import stored_before_the_rule

MANAGED = Backend(service_name="web", service_port=80, target_port=8080, selector={"app": "web"})
EXTERNAL = Backend(service_name="ext", service_port=443, external_name="api.example.org")


@pytest.mark.parametrize("backend", [Backend(service_name="cart", service_port=8080), MANAGED, EXTERNAL])
@pytest.mark.parametrize("output", ["ingress", "gateway"])
def test_owned_objects_are_the_objects_render_route_writes_for_the_route(backend, output):
    spec = RouteSpec(host="cart.shop.example.com", backend=backend)
    cluster = ClusterSettings(name="c", output=output, gateway_name="public", gateway_namespace="gw")
    target = RouteTarget(
        id="0b8f3c52-1d6e-4a7b-9c21-5f0e2d9a1c01", name="cart", team="shop", namespace="shop", revision=1
    )

    rendered = [
        (o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]) for o in render_route(target, spec, cluster)
    ]

    assert owned_objects("cart", "shop", spec, output) == rendered


def owner(**changes) -> OwnedObject:
    return OwnedObject(
        **{
            "kind": "Service",
            "namespace": "shop",
            "name": "web",
            "route_id": "other-id",
            "route_name": "frontend",
            "team": "blog",
            **changes,
        }
    )


def conflicts(spec, owned, *, route_id=None, name="cart", output="ingress"):
    return check_conflicts(
        route_id=route_id,
        name=name,
        team="shop",
        namespace="shop",
        spec=spec,
        others=(),
        claims={},
        foreign=(),
        owned=owned,
        output=output,
    )


def test_a_service_another_route_owns_is_a_conflict_on_the_service_name():
    [violation] = conflicts(make_spec(backend=MANAGED), [owner()])

    assert (violation.field, violation.code) == ("backend.service_name", CONFLICT)
    assert violation.message.startswith('Service "shop/web" is managed by route "shop/frontend" of team "blog"')


def test_a_pending_owner_is_named_as_such():
    [violation] = conflicts(make_spec(backend=MANAGED), [owner(pending=True)])

    assert 'is asked for by the pending revision of route "shop/frontend"' in violation.message


def test_the_route_itself_and_other_namespaces_and_kinds_are_no_conflict():
    spec = make_spec(backend=MANAGED)

    assert conflicts(spec, [owner(route_id="mine")], route_id="mine") == []
    assert conflicts(spec, [owner(namespace="blog")]) == []
    assert conflicts(spec, [owner(kind="Ingress")]) == []
    assert conflicts(make_spec(backend=Backend(service_name="web", service_port=80)), [owner()]) == []


def test_an_existing_services_name_is_read_not_owned():
    assert owned_objects("cart", "shop", make_spec()) == [("Ingress", "shop", "cart")]


def test_managing_a_service_another_route_sends_traffic_to_is_a_conflict():
    [violation] = conflicts(make_spec(backend=MANAGED), [owner(used=True)])

    assert (violation.field, violation.code) == ("backend.service_name", CONFLICT)
    assert violation.message.startswith(
        'Route "shop/frontend" of team "blog" sends traffic to Service "shop/web" as an existing Service'
    )


def test_sending_traffic_to_a_service_another_route_uses_is_no_conflict():
    assert conflicts(make_spec(backend=Backend(service_name="web", service_port=80)), [owner(used=True)]) == []


@pytest.mark.django_db
def test_a_team_sharing_the_namespace_cannot_create_the_service_another_teams_route_uses(
    submit, pat, rival, mallory, cluster
):
    """Team shop's route sends traffic to Service "web", which does not exist yet (its deployment comes later).
    A rival team sharing the namespace asking Portico to create "web" with its own selector would capture that
    traffic, and deleting its route would remove the Service shop relies on."""
    services.approve_route(
        submit("shop-web", host="web.shop.example.com", backend=Backend(service_name="web", service_port=80)), user=pat
    )

    with pytest.raises(services.PolicyError) as refused:
        services.submit_route(
            user=mallory,
            team=rival,
            cluster=cluster,
            namespace="shop",
            name="grab",
            spec=make_spec(host="grab.rival.example.com", backend=MANAGED),
        )

    [violation] = refused.value.violations
    assert violation.field == "backend.service_name" and violation.code == CONFLICT
    assert 'Route "shop/shop-web" of team "shop" sends traffic to Service "shop/web"' in violation.message
    assert not Route.objects.filter(name="grab").exists()


@pytest.mark.django_db(transaction=True)
def test_two_requests_racing_for_one_service_are_never_both_approved(shop, alice, pat, quinn, cluster, monkeypatch):
    """Both requests are checked before either is stored, so both are stored pending; approval then sees the
    other's pending revision, and one has to be rejected (or changed) before the other can be approved."""
    barrier = threading.Barrier(2, timeout=30)
    gather = checks.conflict_inputs

    def gather_then_wait(*args, **kwargs):
        inputs = gather(*args, **kwargs)
        barrier.wait()
        return inputs

    def request(name):
        try:
            return services.submit_route(
                user=alice,
                team=shop,
                cluster=cluster,
                namespace="shop",
                name=name,
                spec=make_spec(host=f"{name}.shop.example.com", backend=MANAGED),
            )
        finally:
            connection.close()

    monkeypatch.setattr(checks, "conflict_inputs", gather_then_wait)
    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(request, ["first", "second"])
    monkeypatch.undo()

    for route, other in ((first, second), (second, first)):
        with pytest.raises(services.PolicyError) as refused:
            services.approve_route(route, user=pat)
        assert refused.value.is_conflict and f'route "shop/{other.name}"' in str(refused.value)
    assert list(Route.objects.filter(approved_revision__isnull=False)) == []

    services.reject_route(second, user=quinn, comment="Service web is first's.")
    assert services.approve_route(first, user=pat).approved_revision == 1


def _action(client, action, route, **extra):
    return client.post(
        "/admin/routes/route/", {"action": action, "_selected_action": [str(route.pk)], **extra}, follow=True
    )


@pytest.mark.django_db
def test_the_admin_approve_action_refuses_a_second_owner(submit, rival, mallory, pat, quinn, admin_client_as):
    frontend = services.approve_route(submit("frontend", host="shop.example.com", backend=MANAGED), user=pat)
    hijack = submit(
        "sec-hijack",
        user=mallory,
        team=rival,
        host="hijack.rival.example.com",
        backend=Backend(service_name="evil", service_port=80, target_port=9999, selector={"app": "evil"}),
    )
    stored_before_the_rule(hijack, Backend(service_name="web"))

    response = _action(admin_client_as(quinn), "approve_selected", hijack)

    assert (
        f"Service &quot;shop/web&quot; is managed by route &quot;shop/{frontend.name}&quot;"
        in response.content.decode()
    )
    assert Route.objects.get(pk=hijack.pk).approval == "pending"
