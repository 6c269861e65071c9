"""Invalid input answers 400 with messages per field, nested like the JSON it refers to; nothing is saved."""

import json

import pytest
from rest_framework.test import APIClient

from routes.models import Route

from .conftest import route_body, url


@pytest.fixture
def client(api, alice, no_throttle):
    return api(alice)


def test_errors_in_nested_objects_are_nested_like_the_body(client):
    body = route_body(path="/a b", backend={"service_name": "cart", "service_port": 70000}, tls={"mode": "secret"})

    response = client.post(url(), body, format="json")

    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"path", "backend", "tls"}
    assert list(errors["backend"]) == ["service_port"]
    assert "70000" in errors["backend"]["service_port"][0]
    assert list(errors["tls"]) == ["secret_name"]
    assert "whitespace" in errors["path"][0] or "space" in errors["path"][0]
    assert not Route.objects.exists()


def test_every_broken_rule_is_reported_at_once(client):
    body = route_body(name="Cart!", host="10.0.0.1", namespace="kube-system")

    errors = client.post(url(), body, format="json").json()

    assert {"name", "host", "namespace"} <= set(errors)


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"extra": 1},
            {
                "extra": [
                    (
                        "Unknown field; the fields are: name, team, cluster, namespace, host, path, "
                        "path_type, backend, tls, options."
                    )
                ]
            },
        ),
        (
            {"backend": "cart:8080"},
            {"backend": {"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]}},
        ),
        (
            {"backend": {"service_name": "cart", "service_port": True}},
            {"backend": {"service_port": ['Must be a port number such as 8080, or a port name such as "http".']}},
        ),
        (
            {"backend": {"service_name": "cart", "port": 80}},
            {
                "backend": {
                    "port": [
                        (
                            "Unknown field; the fields are: service_name, service_port, target_port, selector, "
                            "service_type, external_name."
                        )
                    ]
                }
            },
        ),
        ({"cluster": "nowhere"}, {"cluster": ['There is no cluster "nowhere".']}),
        (
            {"team": "blog"},
            {"team": [('No team "blog" among your teams; you can request routes only for teams you belong to.')]},
        ),
        ({"team": 7}, {"team": ["Must be a name, as text."]}),
    ],
    ids=[
        "unknown-field",
        "backend-not-object",
        "port-bool",
        "unknown-nested-field",
        "no-cluster",
        "not-my-team",
        "team-not-text",
    ],
)
def test_shape_errors_name_the_field(client, other_team, body, errors):
    response = client.post(url(), route_body(**body), format="json")

    assert response.status_code == 400
    assert response.json() == errors


def test_missing_fields_are_listed(client):
    response = client.post(url(), {}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"name", "team", "cluster", "namespace", "host", "backend"}


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        ("{not json", "JSON parse error"),
        ("[" * 100_000, "JSON parse error"),
    ],
)
def test_unreadable_bodies_are_a_400_with_detail(client, content, detail):
    response = client.post(url(), content, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith(detail)


def test_a_list_instead_of_an_object_is_a_400(client):
    response = client.post(url(), [route_body()], format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}


@pytest.mark.parametrize("signed_in_by", ["token", "session"])
def test_a_body_over_the_size_limit_is_a_json_413(api, alice, settings, signed_in_by):
    if signed_in_by == "token":
        client = api(alice)
    else:  # the CSRF check reads the body of a session's write before DRF does
        client = APIClient(enforce_csrf_checks=True)
        client.force_login(alice)
    body = json.dumps(route_body(path="/" + "a" * 3_000_000))

    response = client.post(url(), body, content_type="application/json")

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    limit = f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,}"
    assert response.json() == {"detail": f"The request body is too large: the limit is {limit} bytes."}
    assert not Route.objects.exists()


def test_a_body_within_the_size_limit_is_read(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000

    assert (
        client.post(url(), json.dumps(route_body(path="/" + "a" * 5_000)), content_type="application/json").status_code
        == 400
    )
    assert client.post(url(), json.dumps(route_body()), content_type="application/json").status_code == 201


def test_a_non_json_body_is_refused_with_415(client):
    response = client.post(url(), "name=cart", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 415


def test_dry_run_flag_must_be_a_boolean(client):
    response = client.post(url() + "?dry_run=maybe", route_body(), format="json")

    assert response.status_code == 400
    assert response.json() == {"dry_run": ["Must be true or false."]}


def test_fixed_fields_of_a_route_cannot_change(client, submit):
    route = submit()

    response = client.patch(url(route), {"name": "basket", "namespace": "blog"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "name": ["The name of a route cannot change; create a new route instead."],
        "namespace": ["The namespace of a route cannot change; create a new route instead."],
    }
    route.refresh_from_db()
    assert route.revision == 1


def test_patch_errors_are_nested_too(client, submit):
    route = submit()

    response = client.patch(url(route), {"backend": {"service_port": 0}}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["backend"]
    assert list(response.json()["backend"]) == ["service_port"]


def test_rejecting_needs_a_comment(api, submit, pat):
    route = submit()

    response = api(pat).post(url(route, "reject"), {"comment": "  "}, format="json")

    assert response.status_code == 400
    assert response.json() == {"comment": ["Say why the revision is rejected, so the requester can fix it."]}


@pytest.mark.parametrize("revision", ["0", "x", "99999999999"])
def test_manifests_revision_must_be_a_revision_number(client, submit, revision):
    response = client.get(url(submit(), "manifests") + f"?revision={revision}", HTTP_ACCEPT="application/json")

    assert response.status_code == 400
    assert list(response.json()) == ["revision"]


def test_a_kubeconfig_that_runs_commands_is_refused(api, pat):
    kubeconfig = """
apiVersion: v1
clusters: [{name: c, cluster: {server: "https://k.example.com"}}]
users: [{name: u, user: {exec: {command: /bin/sh}}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
"""
    response = api(pat).post("/api/v1/clusters/", {"name": "edge", "kubeconfig": kubeconfig}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["kubeconfig"]
    assert '"exec"' in response.json()["kubeconfig"][0]


def test_team_domains_must_be_dns_names(api, pat):
    response = api(pat).post(
        "/api/v1/teams/", {"slug": "search", "name": "Search", "domains": ["not a domain"]}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"domains": ['Domain "not a domain" is not a DNS name such as "shop.example.com".']}


# Hostnames are stored as the name a browser resolves (UTS 46 non-transitional, IDNA 2008).


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("straße.shop.example.com", "xn--strae-oqa.shop.example.com"),
        ("xn--strae-oqa.shop.example.com", "xn--strae-oqa.shop.example.com"),
        ("ς.shop.example.com", "xn--3xa.shop.example.com"),
        ("ＳＨＯＰ。Example．com", "shop.example.com"),
    ],
    ids=["sharp-s", "its-punycode", "final-sigma", "full-width"],
)
def test_a_unicode_host_is_stored_as_browsers_request_it(client, typed, stored):
    dry_run = client.post(url() + "?dry_run=true", route_body(host=typed), format="json")
    response = client.post(url(), route_body(host=typed), format="json")

    assert dry_run.status_code == 200, dry_run.json()
    ingress = next(o for o in dry_run.json()["manifests"] if o["kind"] == "Ingress")
    assert ingress["spec"]["rules"][0]["host"] == stored
    assert response.status_code == 201, response.json()
    assert response.json()["host"] == stored and Route.objects.get().host == stored


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (
            "a\u200d.shop.example.com",
            (
                'Host "a\\u200d.shop.example.com" is not a valid DNS name: the label "a\\u200d" is '
                "not a valid internationalised name (Joiner U+200D not allowed at position 2)."
            ),
        ),
        (
            "xn--a-ugn.shop.example.com",
            (
                'Host "xn--a-ugn.shop.example.com" is not a valid DNS name: the label "xn--a-ugn" '
                'starts with "xn--" but is not valid punycode (Joiner U+200D not allowed at '
                "position 2)."
            ),
        ),
    ],
    ids=["misplaced-joiner", "punycode-of-a-misplaced-joiner"],
)
def test_a_host_browsers_cannot_resolve_is_a_field_error_not_silently_changed(client, typed, message):
    response = client.post(url(), route_body(host=typed), format="json")

    assert response.status_code == 400
    assert response.json() == {"host": [message]}
    assert not Route.objects.exists()
