"""A route cannot ask for an object another route owns: 409 naming the owner, on create, edit, dry run and
approval (docs/security.md, "One owner per object").

Before, two routes in one namespace could both manage Service "frontend": the second apply rewrote the first's
selector and port, and the victim route stayed Synced/Healthy.
"""

import pytest

from routes import reconcile, services
from routes.domain.values import Backend, RouteSpec
from routes.models import Route
from tests.factories import stored_before_the_rule

from .conftest import route_body, url

pytestmark = pytest.mark.django_db

FRONTEND = Backend(service_name="frontend", service_port=80, target_port=8080, selector={"app": "frontend"})
HIJACK = {"service_name": "frontend", "service_port": 80, "target_port": 9999, "selector": {"app": "evil"}}


def owner_message(route, state="managed by"):
    return (
        f'Service "shop/frontend" is {state} route "shop/{route.name}" of team "{route.team.slug}", and an '
        "object on the cluster belongs to one route. Choose another Service name, or send traffic to that "
        "Service as an existing Service (leave the selector, target port, service type and external name empty)."
    )


@pytest.fixture
def frontend(submit, pat):
    """Route shop/frontend, approved, whose managed Service is "frontend"."""
    return services.approve_route(submit("frontend", host="shop.example.com", backend=FRONTEND), user=pat)


def test_a_route_asking_for_another_routes_managed_service_is_refused_with_409(api, alice, frontend, no_throttle):
    response = api(alice).post(
        url(), route_body(name="sec-hijack", host="hijack.shop.example.com", backend=HIJACK), format="json"
    )

    assert response.status_code == 409
    assert response.json() == {"backend": {"service_name": [owner_message(frontend)]}}
    assert not Route.objects.filter(name="sec-hijack").exists()


def test_a_team_sharing_the_namespace_is_refused_the_same_way(api, mallory, frontend, no_throttle):
    response = api(mallory).post(
        url(),
        route_body(name="sec-hijack", team="rival", host="hijack.rival.example.com", backend=HIJACK),
        format="json",
    )

    assert response.status_code == 409
    assert response.json() == {"backend": {"service_name": [owner_message(frontend)]}}


def test_a_dry_run_answers_the_same_409(api, alice, frontend, no_throttle):
    response = api(alice).post(
        url() + "?dry_run=true",
        route_body(name="sec-hijack", host="hijack.shop.example.com", backend=HIJACK),
        format="json",
    )

    assert response.status_code == 409
    assert response.json() == {"backend": {"service_name": [owner_message(frontend)]}}


def test_an_edit_that_takes_another_routes_service_is_refused(api, alice, frontend, submit, no_throttle):
    mine = submit(
        "mine",
        host="mine.shop.example.com",
        backend=Backend(service_name="mine", service_port=80, target_port=8080, selector={"app": "mine"}),
    )

    response = api(alice).patch(url(mine), {"backend": HIJACK}, format="json")

    assert response.status_code == 409
    assert response.json() == {"backend": {"service_name": [owner_message(frontend)]}}
    assert Route.objects.get(pk=mine.pk).revision == 1


def test_a_pending_request_already_holds_its_service(api, alice, submit, no_throttle):
    pending = submit("frontend", host="shop.example.com", backend=FRONTEND)

    response = api(alice).post(
        url(), route_body(name="sec-hijack", host="hijack.shop.example.com", backend=HIJACK), format="json"
    )

    assert response.status_code == 409
    assert response.json() == {
        "backend": {"service_name": [owner_message(pending, "asked for by the pending revision of")]}
    }


def test_a_service_still_on_the_cluster_from_the_applied_revision_is_held_until_the_edit_is_applied(
    api, alice, frontend, pat, no_throttle
):
    reconcile.reconcile_route(frontend.pk)
    services.approve_route(
        services.edit_route(
            frontend,
            user=alice,
            spec=RouteSpec(
                host="shop.example.com",
                backend=Backend(
                    service_name="frontend-v2", service_port=80, target_port=8080, selector={"app": "frontend"}
                ),
            ),
        ),
        user=pat,
    )

    body = route_body(name="sec-hijack", host="hijack.shop.example.com", backend=HIJACK)
    assert api(alice).post(url(), body, format="json").status_code == 409  # r1 still serves Service "frontend"
    reconcile.reconcile_route(frontend.pk)  # r2 applied: Service "frontend" pruned
    assert api(alice).post(url(), body, format="json").status_code == 201


def test_pointing_at_another_routes_service_as_an_existing_service_is_allowed(api, alice, frontend, no_throttle):
    response = api(alice).post(
        url(),
        route_body(
            name="frontend-api",
            host="shop.example.com",
            path="/api",
            backend={"service_name": "frontend", "service_port": 80},
        ),
        format="json",
    )

    assert response.status_code == 201


def test_approving_a_revision_stored_before_the_rule_is_refused_with_409(
    api, submit, rival, mallory, quinn, frontend, no_throttle
):
    hijack = submit(
        "sec-hijack",
        user=mallory,
        team=rival,
        host="hijack.rival.example.com",
        backend=Backend(service_name="other", service_port=80, target_port=9999, selector={"app": "evil"}),
    )
    stored_before_the_rule(hijack, Backend(service_name="frontend"))

    response = api(quinn).post(url(hijack, "approve"), {"comment": "ok"}, format="json")

    assert response.status_code == 409
    assert response.json() == {"backend": {"service_name": [owner_message(frontend)]}}
    assert Route.objects.get(pk=hijack.pk).approved_revision is None


def test_lookalike_hosts_get_their_own_certificate_and_secret_in_the_manifests(api, alice, submit, pat, no_throttle):
    """x-y.shop.example.com and x.y.shop.example.com used to render one Certificate and Secret name."""
    routes = [
        services.approve_route(submit(name, host=host), user=pat)
        for name, host in (("dashed", "x-y.shop.example.com"), ("dotted", "x.y.shop.example.com"))
    ]

    manifests = [api(alice).get(url(route, "manifests") + "?format=json").json() for route in routes]

    certificates = [next(o for o in objects if o["kind"] == "Certificate") for objects in manifests]
    secrets = [
        next(o for o in objects if o["kind"] == "Ingress")["spec"]["tls"][0]["secretName"] for objects in manifests
    ]
    assert [c["spec"]["dnsNames"] for c in certificates] == [["x-y.shop.example.com"], ["x.y.shop.example.com"]]
    assert certificates[0]["metadata"]["name"] != certificates[1]["metadata"]["name"]
    assert secrets == [c["spec"]["secretName"] for c in certificates] and secrets[0] != secrets[1]
