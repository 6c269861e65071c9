"""Paths the cluster's admission would refuse after approval are refused at request time, with the reason, per the
cluster's ingress controller (ingress-nginx's strict path validation) and output (Gateway API's CEL rules); the
form and the API give the same message."""

import pytest
from rest_framework.test import APIClient

from routes.domain.policy.paths import check_path
from routes.models import Route
from tests.api.conftest import route_body, url

pytestmark = pytest.mark.django_db

NGINX_REFUSES = ["/v1.0", "/favicon.ico", "/~user", "/a%20b", "/café", "/a;b@c:d", "/a!b"]
GATEWAY_REFUSES = ["/50%", "/café", "/a<b>", '/a"b', "/a`b", "/%zz"]


@pytest.mark.parametrize("path", NGINX_REFUSES)
@pytest.mark.parametrize("path_type", ["Prefix", "Exact"])
def test_ingress_nginx_refuses_paths_outside_its_strict_pattern(path, path_type):
    [violation] = check_path(path, path_type, output="ingress", controller="ingress-nginx")

    assert violation.field == "path" and "ingress-nginx refuses" in violation.message


@pytest.mark.parametrize("path", ["/", "/api", "/api/v1_x-y/", "/Cart"])
def test_ingress_nginx_admits_letters_digits_dash_underscore_slash(path):
    assert check_path(path, "Prefix", output="ingress", controller="ingress-nginx") == []


@pytest.mark.parametrize("controller", ["traefik", "haproxy", ""])
def test_other_controllers_keep_paths_with_dots(controller):
    assert check_path("/v1.0", "Prefix", output="ingress", controller=controller) == []
    assert check_path("/favicon.ico", "Exact", output="ingress", controller=controller) == []


@pytest.mark.parametrize("path", GATEWAY_REFUSES)
def test_gateway_api_refuses_what_its_cel_rule_refuses(path):
    [violation] = check_path(path, "Prefix", output="gateway", controller="ingress-nginx")

    assert violation.field == "path" and "Gateway API accepts" in violation.message


@pytest.mark.parametrize("path", ["/v1.0", "/favicon.ico", "/~user", "/a%20b", "/a;b@c:d"])
def test_gateway_api_admits_dots_tildes_and_escapes(path):
    assert check_path(path, "Prefix", output="gateway", controller="ingress-nginx") == []


def test_a_bare_percent_is_named_as_such():
    [violation] = check_path("/50%", "Prefix", output="gateway")

    assert 'a "%" that is not followed by two hexadecimal digits' in violation.message


@pytest.fixture
def nginx_cluster(cluster):
    cluster.ingress_controller = "k8s.io/ingress-nginx"
    cluster.save()
    return cluster


def test_the_api_answers_400_with_the_reason_on_an_ingress_nginx_cluster(nginx_cluster, alice):
    client = APIClient()
    client.force_authenticate(alice)

    response = client.post(url(), route_body(path="/v1.0"), format="json")

    assert response.status_code == 400
    assert 'Path "/v1.0" is not valid' in response.json()["path"][0]
    assert "ingress-nginx" in response.json()["path"][0]
    assert not Route.objects.exists()


def test_the_same_path_is_accepted_where_the_controller_admits_it(cluster, alice):
    client = APIClient()
    client.force_authenticate(alice)

    response = client.post(url(), route_body(path="/v1.0"), format="json")

    assert response.status_code == 201, response.json()


def test_the_form_shows_the_reason_on_the_path_field(nginx_cluster, alice, client):

    client.force_login(alice)
    data = {
        "team": "shop",
        "cluster": "prod-eu",
        "namespace": "shop",
        "name": "cart",
        "host": "cart.shop.example.com",
        "path": "/favicon.ico",
        "path_type": "Exact",
        "backend_kind": "existing",
        "service_name": "cart",
        "service_port": "8080",
        "tls_mode": "cert-manager",
    }

    response = client.post("/routes/new/", data)

    assert response.status_code == 200
    assert "ingress-nginx refuses in Prefix and Exact paths" in response.content.decode()
    assert not Route.objects.exists()
