"""Requesting and editing a route: the form asks routes.services, the same checks as the API."""

import html as html_lib
import re

import pytest
from django.test import Client
from django.urls import reverse

from routes import services
from routes.models import Route
from teams.models import TeamNamespace
from tests.factories import make_team, make_user, spec


def errors_of(response, field: str) -> str:
    match = re.search(
        rf'<div class="field-errors" id="id_{field}_error"[^>]*>(.*?)</div>', response.content.decode(), re.DOTALL
    )
    assert match, f"no error container for {field}"
    return html_lib.unescape(match.group(1))


@pytest.mark.django_db
def test_form_offers_only_the_users_teams_clusters_and_namespaces(login, alice, other_team, cluster):
    html = login(alice).get(reverse("routes:create")).content.decode()

    team_select = re.search(r'<select name="team".*?</select>', html, re.DOTALL).group(0)
    assert '<option value="shop">shop</option>' in team_select and "blog" not in html
    assert '<optgroup label="prod-eu">' in html and '<option value="shop"' in html
    assert "Policy of team shop" in html


@pytest.mark.django_db
def test_every_field_is_labelled_and_described_by_its_error_container(login, alice):
    html = login(alice).get(reverse("routes:create")).content.decode()

    for field in ("name", "host", "path", "service_name", "service_port", "issuer"):
        assert f'<label for="id_{field}">' in html
        assert re.search(
            rf'id="id_{field}"[^>]*aria-describedby="[^"]*id_{field}_error"|aria-describedby="[^"]*id_{field}_error"[^>]*id="id_{field}"',
            html,
        )
        assert f'id="id_{field}_error"' in html


@pytest.mark.django_db
def test_valid_request_creates_a_pending_route_and_redirects_to_it(login, alice, form_data):
    response = login(alice).post(reverse("routes:create"), form_data(host="Cart.Shop.Example.com."))

    route = Route.objects.get(name="cart")
    assert response.status_code == 302 and response["Location"] == route.get_absolute_url()
    assert (route.host, route.approval, route.created_by) == ("cart.shop.example.com", "pending", alice)
    assert route.latest_spec.backend.service_port == 8080


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("straße.shop.example.com", "xn--strae-oqa.shop.example.com"),
        ("xn--strae-oqa.shop.example.com", "xn--strae-oqa.shop.example.com"),
        ("ς.shop.example.com", "xn--3xa.shop.example.com"),
    ],
    ids=["sharp-s", "its-punycode", "final-sigma"],
)
def test_a_unicode_host_is_stored_as_the_name_browsers_request(login, alice, form_data, typed, stored):
    login(alice).post(reverse("routes:create"), form_data(host=typed))

    assert Route.objects.get(name="cart").host == stored


@pytest.mark.django_db
def test_a_zero_width_joiner_in_the_host_is_a_field_error_not_dropped(login, alice, form_data):
    response = login(alice).post(reverse("routes:create"), form_data(host="a\u200d.shop.example.com"))

    assert "Joiner U+200D not allowed" in errors_of(response, "host")
    assert not Route.objects.exists()


@pytest.mark.django_db
def test_managed_backend_is_parsed_into_selector_target_port_and_service_type(login, alice, form_data):
    login(alice).post(
        reverse("routes:create"),
        form_data(
            backend_kind="managed",
            selector="app=cart, tier=web",
            target_port="http",
            service_port="80",
        ),
    )

    backend = Route.objects.get(name="cart").latest_spec.backend
    assert backend.selector == {"app": "cart", "tier": "web"}
    assert (backend.service_port, backend.target_port, backend.service_type) == (80, "http", "ClusterIP")


@pytest.mark.django_db
def test_bad_host_is_a_field_error_and_nothing_is_created(login, alice, form_data):
    response = login(alice).post(reverse("routes:create"), form_data(host="Bad_Host!"))

    assert response.status_code == 200
    assert "is not a valid DNS name" in errors_of(response, "host")
    assert 'aria-invalid="true"' in re.search(r'<input[^>]*id="id_host"[^>]*>', response.content.decode()).group(0)
    assert not Route.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"service_port": "99999"}, "service_port", "between 1 and 65535"),
        ({"path": "/a b"}, "path", "must not contain spaces"),
        ({"host": "cart.blog.example.com"}, "host", "outside the domains"),
        (
            {"backend_kind": "managed", "service_type": "NodePort", "selector": "app=cart", "target_port": "8080"},
            "service_type",
            "may not use NodePort",
        ),
        ({"backend_kind": "managed", "selector": "app cart", "target_port": "8080"}, "selector", 'has no "="'),
        ({"tls_mode": "none"}, "tls_mode", "may not serve plain HTTP"),
        ({"tls_mode": "secret"}, "secret_name", "needs the name of an existing TLS Secret"),
        ({"backend_kind": "external"}, "external_name", "Enter the host outside the cluster"),
        ({"name": "Cart"}, "name", "must be lower-case"),
    ],
)
def test_policy_violations_land_on_the_field_they_name(login, alice, form_data, overrides, field, message):
    response = login(alice).post(reverse("routes:create"), form_data(**overrides))

    assert response.status_code == 200
    assert message in errors_of(response, field)


@pytest.mark.django_db
def test_namespace_of_another_cluster_is_refused_by_policy(login, alice, shop, form_data):
    from clusters.models import Cluster

    staging = Cluster.objects.create(name="staging", mode="directory")
    TeamNamespace.objects.create(team=shop, cluster=staging, namespace="shop-staging")

    response = login(alice).post(reverse("routes:create"), form_data(namespace="shop-staging"))

    assert 'may not use namespace "shop-staging" on cluster "prod-eu"' in errors_of(response, "namespace")


@pytest.mark.django_db
def test_host_claimed_by_another_team_is_a_conflict_on_host(login, alice, pat, cluster, form_data):
    blog = make_team("blog", domains=["example.com"], namespaces=[(cluster, "blog")])
    route = services.submit_route(
        user=pat, team=blog, cluster=cluster, namespace="blog", name="x", spec=spec(host="cart.shop.example.com")
    )
    services.approve_route(route, user=make_user("reviewer", platform=True))

    response = login(alice).post(reverse("routes:create"), form_data())

    assert 'claimed by team "blog"' in errors_of(response, "host")


@pytest.mark.django_db
def test_duplicate_name_in_the_namespace_is_reported_on_name(login, alice, submit, form_data):
    submit("cart", host="other.shop.example.com")

    response = login(alice).post(reverse("routes:create"), form_data())

    assert "already exists" in errors_of(response, "name")


@pytest.mark.django_db
def test_post_without_csrf_token_is_refused(alice, form_data):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    assert client.post(reverse("routes:create"), form_data()).status_code == 403
    assert client.post(reverse("routes:validate"), form_data()).status_code == 403
    assert not Route.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "junk",
    [
        {"team": "nope"},
        {"cluster": "nope"},
        {"namespace": "nope"},
        {"path_type": "Regex"},
        {"service_port": "-1"},
        {"host": "x" * 300},
        {"host": "\u0000"},
        {"path": "../../etc"},
        {"backend_kind": "pods"},
        {"tls_mode": "maybe"},
        {"host": "*.shop.example.com"},
        {"host": "10.0.0.1"},
        {"selector": "=x"},
        {"issuer": "Bad Issuer"},
    ],
)
def test_junk_input_never_causes_a_server_error(login, alice, form_data, junk):
    client = login(alice)

    assert client.post(reverse("routes:create"), form_data(**junk)).status_code == 200
    assert client.post(reverse("routes:validate"), form_data(**junk)).status_code == 200
    assert not Route.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"service_port": "²"}, "service_port"),
        ({"service_port": "١٢"}, "service_port"),
        ({"backend_kind": "managed", "selector": "app=cart", "service_port": "80", "target_port": "١٢"}, "target_port"),
    ],
    ids=["superscript-two", "arabic-indic-twelve", "arabic-indic-target-port"],
)
def test_a_port_in_other_digits_is_a_field_error_on_submit_and_while_typing(login, alice, form_data, overrides, field):
    client = login(alice)

    for view in ("routes:create", "routes:validate"):
        response = client.post(reverse(view), form_data(**overrides))

        assert response.status_code == 200
        assert "must be written with the digits 0 to 9" in errors_of(response, field)
    assert not Route.objects.exists()


@pytest.mark.django_db
def test_a_managed_backend_without_a_service_type_previews_a_cluster_ip_service(login, alice, form_data):
    data = form_data(
        backend_kind="managed", service_name="web", service_port="80", target_port="8080", selector="app=x"
    )
    del data["service_type"]

    response = login(alice).post(reverse("routes:validate"), data, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    html = response.content.decode()
    assert "kind: Service" in html and "type: ClusterIP" in html


@pytest.mark.django_db
def test_user_without_a_team_gets_a_form_explaining_why_it_cannot_be_used(login, pat):
    response = login(pat).get(reverse("routes:create"))

    assert response.status_code == 200


# Inline validation


@pytest.mark.django_db
def test_validation_swaps_field_errors_out_of_band(login, alice, form_data):
    response = login(alice).post(reverse("routes:validate"), form_data(host="Bad_Host!"), HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert '<div class="field-errors" id="id_host_error" hx-swap-oob="true"><p>' in html
    assert "is not a valid DNS name" in errors_of(response, "host")
    assert errors_of(response, "service_port") == ""
    assert "<html" not in html and "<input" not in html, "fields themselves are never re-rendered while typing"


@pytest.mark.django_db
def test_validation_does_not_nag_about_fields_not_filled_in_yet(login, alice, form_data):
    response = login(alice).post(reverse("routes:validate"), form_data(name="", service_name="", service_port=""))

    assert errors_of(response, "name") == "" and errors_of(response, "service_port") == ""
    assert "fields need attention" in response.content.decode()


@pytest.mark.django_db
def test_validation_shows_host_availability_and_yaml_preview(login, alice, form_data):
    response = login(alice).post(reverse("routes:validate"), form_data())

    html = response.content.decode()
    assert 'id="host-status" class="host-status host-free"' in html and "Available" in html
    assert "kind: Ingress" in html and "name: cart-shop-example-com" in html and "kind: Certificate" in html
    assert "portico.dev/route: assigned-on-submit" in html
    assert "All checks pass" in html


@pytest.mark.django_db
def test_validation_says_when_the_host_already_belongs_to_the_team(login, alice, approved_route, form_data):
    response = login(alice).post(reverse("routes:validate"), form_data(name="api", path="/api"))

    assert "host-yours" in response.content.decode()


@pytest.mark.django_db
def test_validation_shows_the_chosen_teams_policy(login, alice, cluster, form_data):
    ops = make_team("ops", domains=["ops.example.com"], namespaces=[(cluster, "ops")], allow_node_port=True)
    ops.members.add(alice)

    html = login(alice).post(reverse("routes:validate"), form_data(team="ops", namespace="ops")).content.decode()

    assert "Policy of team ops" in html and '<li class="allowed"><strong>NodePort</strong>: allowed.' in html


# Edit


@pytest.mark.django_db
def test_edit_form_opens_with_the_current_revision_and_fixed_placement(login, alice, approved_route):
    html = html_lib.unescape(login(alice).get(reverse("routes:edit", args=[approved_route.pk])).content.decode())

    assert 'value="cart.shop.example.com"' in html and 'value="8080"' in html
    assert re.search(r'<input[^>]*name="name"[^>]*disabled', html)
    assert "kind: Ingress" in html and "portico.dev/revision: '2'" in html


@pytest.mark.django_db
def test_edit_makes_a_new_pending_revision(login, alice, approved_route, form_data):
    response = login(alice).post(reverse("routes:edit", args=[approved_route.pk]), form_data(service_port="9090"))

    approved_route.refresh_from_db()
    assert response.status_code == 302
    assert (approved_route.revision, approved_route.approval, approved_route.approved_revision) == (2, "pending", 1)


@pytest.mark.django_db
def test_edit_ignores_attempts_to_move_the_route(login, alice, approved_route, form_data):
    login(alice).post(
        reverse("routes:edit", args=[approved_route.pk]), form_data(name="moved", namespace="blog", service_port="9090")
    )

    approved_route.refresh_from_db()
    assert (approved_route.name, approved_route.namespace, approved_route.revision) == ("cart", "shop", 2)


@pytest.mark.django_db
def test_edit_without_changes_makes_no_revision(login, alice, approved_route, form_data):
    response = login(alice).post(reverse("routes:edit", args=[approved_route.pk]), form_data(), follow=True)

    approved_route.refresh_from_db()
    assert approved_route.revision == 1 and "Nothing changed" in response.content.decode()


@pytest.mark.django_db
def test_another_team_cannot_open_edit_or_validate_a_route(login, bob, approved_route, form_data):
    client = login(bob)

    assert client.get(reverse("routes:edit", args=[approved_route.pk])).status_code == 404
    assert client.post(reverse("routes:edit", args=[approved_route.pk]), form_data()).status_code == 404
    assert client.post(reverse("routes:validate_edit", args=[approved_route.pk]), form_data()).status_code == 404
