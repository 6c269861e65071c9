"""The adoption page: platform engineers see a cluster's unmanaged Ingresses and adopt chosen ones in place."""

import pytest
from django.test import Client
from django.urls import reverse

from routes.models import Route
from tests.adopt.conftest import INGRESS

pytestmark = pytest.mark.django_db

URL = reverse("routes:adopt", args=["real"])


@pytest.fixture
def two_ingresses(kube_cluster, hand_made):
    hand_made("cart")
    hand_made("legacy", host="legacy.shop.example.com", ingress_class="traefik")


def test_platform_engineer_sees_candidates_with_team_and_reasons(login, pat, two_ingresses):
    response = login(pat).get(URL)

    html = response.content.decode()
    assert response.status_code == 200 and "HX-Request" in response["Vary"]
    assert "<h1>Adopt Ingresses on real</h1>" in html
    cart = html[html.index('id="ingress-shop-cart"') :]
    cart = cart[: cart.index("</tr>")]
    assert 'name="ingress" value="shop/cart"' in cart and "cart.shop.example.com/" in cart
    assert '<span class="tag">shop</span>' in cart and ">Adoptable<" in cart
    legacy = html[html.index('id="ingress-shop-legacy"') :]
    legacy = legacy[: legacy.index("</tr>")]
    assert 'name="ingress"' not in legacy and ">Not adoptable<" in legacy
    assert "Its ingressClassName is &quot;traefik&quot;" in legacy


def test_adopt_selected_answers_with_the_fragment_in_place(login, pat, two_ingresses, realkube, htmx_headers):
    response = login(pat).post(URL, {"ingress": ["shop/cart"]}, **htmx_headers)

    html = response.content.decode()
    assert response.status_code == 200 and "HX-Request" in response["Vary"]
    assert html.lstrip().startswith('<div id="adopt-candidates">') and "<html" not in html
    route = Route.objects.get(name="cart")
    assert f'Adopted <code>shop/cart</code> as route <a href="/routes/{route.pk}/">cart</a>' in html
    assert 'id="ingress-shop-cart"' not in html  # it carries Portico's label now
    assert 'id="ingress-shop-legacy"' in html
    assert realkube.get(*INGRESS, "shop", "cart")["metadata"]["labels"]["portico.dev/route"] == str(route.pk)
    assert route.created_by == pat


def test_only_selected_ingresses_are_adopted(login, pat, kube_cluster, hand_made):
    hand_made("cart")
    hand_made("api", host="api.shop.example.com")

    login(pat).post(URL, {"ingress": ["shop/api"]}, HTTP_HX_REQUEST="true")

    assert list(Route.objects.values_list("name", flat=True)) == ["api"]


def test_a_selected_ingress_that_cannot_be_adopted_is_reported_not_adopted(login, pat, two_ingresses):
    html = login(pat).post(URL, {"ingress": ["shop/legacy", "shop/gone"]}, HTTP_HX_REQUEST="true").content.decode()

    assert "Not adopted: Its ingressClassName is &quot;traefik&quot;" in html
    assert "<code>shop/gone</code><p>It is no longer on the cluster" in html
    assert not Route.objects.exists()


def test_a_developer_gets_403_and_adopts_nothing(login, alice, two_ingresses, realkube):
    client = login(alice)

    assert client.get(URL).status_code == 403
    assert client.post(URL, {"ingress": ["shop/cart"]}).status_code == 403
    assert not Route.objects.exists() and realkube.writes() == []


def test_signed_out_visitors_are_sent_to_sign_in(client, two_ingresses):
    response = client.get(URL)

    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_post_without_csrf_token_is_refused(pat, two_ingresses, realkube):
    client = Client(enforce_csrf_checks=True)
    client.force_login(pat)

    assert client.post(URL, {"ingress": ["shop/cart"]}).status_code == 403
    assert not Route.objects.exists() and realkube.writes() == []


def test_a_post_with_the_csrf_token_is_accepted(pat, two_ingresses):
    client = Client(enforce_csrf_checks=True)
    client.force_login(pat)
    client.get(URL)
    token = client.cookies["csrftoken"].value

    response = client.post(URL, {"ingress": ["shop/cart"]}, HTTP_X_CSRFTOKEN=token, HTTP_HX_REQUEST="true")

    assert response.status_code == 200 and Route.objects.filter(name="cart").exists()


def test_an_unknown_cluster_is_404(login, pat, db):
    assert login(pat).get(reverse("routes:adopt", args=["nowhere"])).status_code == 404


def test_a_directory_cluster_says_adoption_needs_a_kubernetes_cluster(login, pat, cluster):
    html = login(pat).get(reverse("routes:adopt", args=[cluster.name])).content.decode()

    assert "Adoption needs a kubernetes-mode cluster." in html and "Adopt selected" not in html


def test_an_unreachable_cluster_is_explained(login, pat, emulated_kube_cluster, kube):
    """On the emulator: it refuses connections on demand."""
    kube.refuse_connections()

    html = login(pat).get(reverse("routes:adopt", args=[emulated_kube_cluster.name])).content.decode()
    kube.restore()

    assert "kind did not answer: Cannot reach the API server" in html and "Adopt selected" not in html


@pytest.mark.parametrize("count", [3, 30])
def test_query_count_does_not_grow_with_the_ingresses(
    login, pat, kube_cluster, realkube, hand_made, count, django_assert_max_num_queries
):
    for i in range(count):
        hand_made(f"app{i}", host=f"app{i}.shop.example.com")
    client = login(pat)

    # Session, user, group and cluster; then teams with their namespaces and clusters, host claims, routes.
    with django_assert_max_num_queries(9):
        assert client.get(URL).status_code == 200


def test_the_clusters_page_links_to_adoption_for_platform_engineers_only(login, pat, alice, kube_cluster, cluster):
    platform_html = login(pat).get(reverse("clusters:list")).content.decode()
    developer_html = login(alice).get(reverse("clusters:list")).content.decode()

    assert f'href="{URL}"' in platform_html
    assert f'href="{reverse("routes:adopt", args=[cluster.name])}"' not in platform_html  # a GitOps export
    assert "/adopt/" not in developer_html
