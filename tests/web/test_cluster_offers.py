"""The form's Service, port and issuer pickers offer what the cluster reports, and only for the user's namespaces."""

import pytest
from django.urls import reverse


def service(name, namespace, *ports, type_="ClusterIP"):
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"type": type_, "ports": [{"name": n, "port": p, "protocol": "TCP"} for n, p in ports]},
    }


def offers(client, **params):
    return client.get(reverse("routes:cluster_offers"), params, HTTP_HX_REQUEST="true")


@pytest.mark.django_db
def test_lists_the_namespaces_services_with_their_ports_and_the_cluster_issuers(login, alice, kube, kube_cluster):
    kube.create(service("cart", "shop", ("http", 8080), ("metrics", 9090)))
    kube.create(service("web", "shop", ("", 80)))
    kube.create(service("secret-thing", "payments", ("http", 443)))
    kube.create(
        {
            "apiVersion": "cert-manager.io/v1",
            "kind": "ClusterIssuer",
            "metadata": {"name": "internal-ca"},
            "spec": {"ca": {}},
        }
    )

    response = offers(login(alice), cluster="kind", namespace="shop", service_name="cart")

    body = response.content.decode()
    assert response.status_code == 200 and "HX-Request" in response["Vary"]
    assert '<option value="cart">ClusterIP · 8080 (http) · 9090 (metrics)</option>' in body
    assert '<option value="web">' in body and "secret-thing" not in body
    assert '<option value="8080">http · TCP</option>' in body and '<option value="metrics">' in body
    assert '<option value="internal-ca">' in body
    assert "reports 2 Services in namespace shop" in body


@pytest.mark.django_db
def test_namespace_the_user_may_not_use_offers_nothing_and_asks_the_cluster_nothing(login, bob, kube, kube_cluster):
    kube.create(service("cart", "shop", ("http", 8080)))
    kube.clear_requests()

    body = offers(login(bob), cluster="kind", namespace="shop").content.decode()

    assert "cart" not in body and "<option" not in body
    assert kube.requests == []


@pytest.mark.django_db
def test_unreachable_cluster_says_so_and_the_name_can_still_be_typed(login, alice, kube, kube_cluster):
    kube.refuse_connections()

    body = offers(login(alice), cluster="kind", namespace="shop").content.decode()

    assert "did not answer" in body and "type the Service name" in body
    assert '<option value="letsencrypt">' in body  # the cluster's default issuer is still offered


@pytest.mark.django_db
def test_directory_cluster_explains_why_there_is_no_service_list(login, alice, cluster):
    body = offers(login(alice), cluster="prod-eu", namespace="shop").content.decode()

    assert "GitOps export" in body and '<option value="letsencrypt">' in body


@pytest.mark.django_db
def test_form_asks_for_offers_on_load_and_when_the_placement_changes(login, alice, cluster):
    html = login(alice).get(reverse("routes:create")).content.decode()

    assert 'id="cluster-offers"' in html and 'hx-trigger="load, change from:#id_cluster' in html
    assert 'list="service-options"' in html and 'list="issuer-options"' in html


@pytest.mark.django_db
def test_edit_form_asks_about_the_routes_own_placement(login, alice, approved_route):
    html = login(alice).get(reverse("routes:edit", args=[approved_route.pk])).content.decode()

    assert f"{reverse('routes:cluster_offers')}?cluster=prod-eu&amp;namespace=shop" in html


def test_anonymous_visitor_is_sent_to_login(client):
    assert client.get(reverse("routes:cluster_offers"))["Location"].startswith("/login/")
