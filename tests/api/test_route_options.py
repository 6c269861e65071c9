"""Route options through the API: an additive ``options`` object, judged like every other field (400 with
messages on the option's field), part of the revision (PATCH makes a new one, history shows it) and of the
rendered manifests."""

import pytest

from routes.models import Route

from .conftest import route_body, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(api, alice, no_throttle):
    return api(alice)


def on_controller(cluster, controller: str):
    cluster.ingress_controller = controller
    cluster.save()
    return cluster


def test_options_are_saved_shown_and_rendered_on_ingress_nginx(client, cluster):
    on_controller(cluster, "k8s.io/ingress-nginx")
    options = {"force_https": True, "timeout_seconds": 90, "max_body_size_mb": 50, "source_ranges": ["10.0.0.0/8"]}

    response = client.post(url(), route_body(options=options), format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["options"] == options
    route = Route.objects.get()
    yaml_text = client.get(url(route, "manifests") + "?revision=1").content.decode()
    assert "nginx.ingress.kubernetes.io/proxy-read-timeout: '90'" in yaml_text
    assert "nginx.ingress.kubernetes.io/whitelist-source-range: 10.0.0.0/8" in yaml_text


def test_a_route_without_options_shows_the_defaults(client, cluster):
    body = client.post(url(), route_body(), format="json").json()

    assert body["options"] == {
        "force_https": False,
        "timeout_seconds": None,
        "max_body_size_mb": None,
        "source_ranges": [],
    }


def test_an_option_the_controller_cannot_honour_answers_400_on_its_field(client, cluster):
    on_controller(cluster, "traefik.io/ingress-controller")

    response = client.post(url(), route_body(options={"timeout_seconds": 30}), format="json")

    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == ["options"] and list(errors["options"]) == ["timeout_seconds"]
    assert "Traefik has no per-route timeout" in errors["options"]["timeout_seconds"][0]
    assert not Route.objects.exists()


def test_an_unknown_controller_honours_no_option(client, cluster):
    response = client.post(url(), route_body(options={"force_https": True}), format="json")

    assert response.status_code == 400
    assert "does not know this cluster's ingress controller" in response.json()["options"]["force_https"][0]


def test_the_teams_limit_answers_400(client, cluster, shop):
    on_controller(cluster, "k8s.io/ingress-nginx")
    shop.max_body_size_mb = 10
    shop.save()

    response = client.post(url(), route_body(options={"max_body_size_mb": 11}), format="json")

    assert response.status_code == 400
    assert "over your team's limit of 10 MiB" in response.json()["options"]["max_body_size_mb"][0]


def test_malformed_options_are_400_and_unknown_keys_too(client, cluster):
    on_controller(cluster, "k8s.io/ingress-nginx")

    bad_cidr = client.post(url(), route_body(options={"source_ranges": ["10.0.0.1/8"]}), format="json")
    unknown = client.post(url(), route_body(options={"timeout": 5}), format="json")

    assert bad_cidr.status_code == 400 and 'write "10.0.0.0/8"' in bad_cidr.json()["options"]["source_ranges"][0]
    assert unknown.status_code == 400 and "timeout" in str(unknown.json()["options"])


def test_patch_merges_options_into_a_new_revision_with_history(client, cluster, pat):
    on_controller(cluster, "k8s.io/ingress-nginx")
    route_id = client.post(url(), route_body(options={"force_https": True}), format="json").json()["id"]
    route = Route.objects.get(pk=route_id)

    response = client.patch(url(route), {"options": {"timeout_seconds": 20}}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["revision"] == 2
    assert response.json()["options"]["force_https"] is True and response.json()["options"]["timeout_seconds"] == 20
    history = client.get(url(route, "history")).json()
    assert [r["spec"]["options"]["timeout_seconds"] for r in history["revisions"]] in ([None, 20], [20, None])


def test_a_patch_that_changes_nothing_makes_no_revision(client, cluster):
    on_controller(cluster, "k8s.io/ingress-nginx")
    route_id = client.post(url(), route_body(), format="json").json()["id"]
    route = Route.objects.get(pk=route_id)

    response = client.patch(url(route), {"options": {"force_https": False}}, format="json")

    assert Route.objects.get(pk=route_id).revision == 1, response.json()


def test_the_team_api_reads_and_writes_the_limits(api, pat, shop, no_throttle):
    client = api(pat)

    response = client.patch(
        "/api/v1/teams/shop/", {"max_timeout_seconds": 120, "allow_source_ranges": False}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = client.get("/api/v1/teams/shop/").json()
    assert (body["max_timeout_seconds"], body["max_body_size_mb"], body["allow_source_ranges"]) == (120, None, False)
