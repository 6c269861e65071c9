"""Page-side security: CSRF on every POST, escaping of user-supplied text, team isolation on every URL, and
hostname takeover attempts through the form (docs/security.md)."""

import html as html_lib
import re

import pytest
from django.test import Client
from django.urls import reverse

from clusters.models import Cluster
from routes import services
from routes.models import Route
from teams.models import TeamNamespace
from tests.factories import make_team, make_user, spec

PAYLOAD = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def host_errors(response) -> str:
    match = re.search(
        r'<div class="field-errors" id="id_host_error"[^>]*>(.*?)</div>', response.content.decode(), re.DOTALL
    )
    assert match, "no host error container"
    return html_lib.unescape(match.group(1))


# CSRF


def post_urls(route):
    """Every URL a page form (or htmx) posts to, with the data it sends."""
    data = {"comment": "x", "revision": route.revision}
    return [
        ("routes:create", [], {}),
        ("routes:validate", [], {}),
        ("routes:edit", [route.pk], {}),
        ("routes:validate_edit", [route.pk], {}),
        ("routes:delete", [route.pk], {}),
        ("routes:approve", [route.pk], data),
        ("routes:reject", [route.pk], data),
        ("logout", [], {}),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("index", range(8))
def test_every_post_without_a_csrf_token_is_refused(submit, shop, quinn, form_data, index):
    route = submit()
    shop.members.add(quinn)  # a platform engineer in the team may use every form, so only CSRF can refuse
    url_name, args, data = post_urls(route)[index]
    client = Client(enforce_csrf_checks=True)
    client.force_login(quinn)

    response = client.post(reverse(url_name, args=args), {**form_data(), **data})

    assert response.status_code == 403
    route.refresh_from_db()
    assert (route.approval, route.revision, route.deletion_requested_at) == ("pending", 1, None)
    assert Route.objects.count() == 1
    assert "_auth_user_id" in client.session  # not logged out either


@pytest.mark.django_db
def test_login_without_a_csrf_token_is_refused(alice):
    client = Client(enforce_csrf_checks=True)

    assert client.post(reverse("login"), {"username": "alice", "password": "pw-alice"}).status_code == 403


@pytest.mark.django_db
def test_every_post_form_on_every_page_carries_the_token_and_htmx_sends_it(login, pat, shop, submit):
    shop.members.add(pat)
    route = submit()
    client = login(pat)
    pages = [
        reverse("routes:create"),
        reverse("routes:edit", args=[route.pk]),
        reverse("routes:delete", args=[route.pk]),
        reverse("routes:review_queue"),
        reverse("routes:dashboard"),
    ]

    for url in pages:
        html = client.get(url).content.decode()
        forms = re.findall(r'<form[^>]*method="post".*?</form>', html, re.DOTALL)
        assert forms, url
        for form in forms:
            assert 'name="csrfmiddlewaretoken"' in form, url
        assert re.search(r'hx-headers=\'\{"X-CSRFToken": "[^"]+"\}\'', html), url


@pytest.mark.django_db
def test_htmx_post_with_the_header_token_is_accepted(alice, form_data):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    page = client.get(reverse("routes:create")).content.decode()
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)

    response = client.post(reverse("routes:validate"), form_data(), HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=token)

    assert response.status_code == 200


# Escaping


@pytest.fixture
def hostile_text(shop, cluster, submit, pat, quinn):
    """User-supplied text everywhere it can come from: team and cluster names, review comments."""
    shop.name = PAYLOAD
    shop.save()
    cluster.display_name = PAYLOAD
    cluster.save()
    rejected = services.reject_route(submit("bad", host="bad.shop.example.com"), user=pat, comment=PAYLOAD)
    approved = services.approve_route(submit(), user=quinn, comment=PAYLOAD)
    submit("pending", host="pending.shop.example.com")
    return rejected, approved


@pytest.mark.django_db
def test_user_supplied_text_is_escaped_on_every_page(login, alice, pat, hostile_text):
    rejected, approved = hostile_text
    pages = {
        "dashboard": reverse("routes:dashboard"),
        "list": reverse("routes:list"),
        "rejected": rejected.get_absolute_url(),
        "approved": approved.get_absolute_url(),
        "edit": reverse("routes:edit", args=[approved.pk]),
        "delete": reverse("routes:delete", args=[approved.pk]),
        "queue": reverse("routes:review_queue"),
        "clusters": reverse("clusters:list"),
    }
    shown = {}
    for who in (alice, pat):
        client = login(who)
        for name, url in pages.items():
            response = client.get(url)
            if response.status_code == 403:
                continue
            body = response.content.decode()
            assert PAYLOAD not in body, f"{name} as {who}"
            shown[name] = ESCAPED in body
        fragment = client.get(approved.get_absolute_url(), HTTP_HX_REQUEST="true").content.decode()
        assert PAYLOAD not in fragment
    # Where the text is shown at all, it is shown as text.
    assert shown["rejected"] and shown["approved"] and shown["clusters"] and shown["delete"]


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["name", "host", "path", "service_name", "service_port", "selector", "issuer"])
def test_typed_text_is_escaped_when_the_form_echoes_it(login, alice, form_data, field):
    typed = f'"><img src=x onerror=alert(1)>{PAYLOAD}'
    overrides = {field: typed}
    if field == "selector":
        overrides.update(backend_kind="managed", target_port="8080")
    client = login(alice)

    for url in (reverse("routes:create"), reverse("routes:validate")):
        body = client.post(url, form_data(**overrides)).content.decode()
        assert PAYLOAD not in body and "<img src=x" not in body, url
    assert not Route.objects.exists()


# Team isolation


@pytest.mark.django_db
def test_another_teams_route_is_not_found_on_every_page_fragment_and_post(login, bob, approved_route, form_data):
    client = login(bob)
    pk = approved_route.pk
    htmx = {"HTTP_HX_REQUEST": "true"}

    assert client.get(reverse("routes:detail", args=[pk])).status_code == 404
    assert client.get(reverse("routes:detail", args=[pk]), **htmx).status_code == 404
    assert client.get(reverse("routes:edit", args=[pk])).status_code == 404
    assert client.post(reverse("routes:edit", args=[pk]), form_data()).status_code == 404
    assert client.post(reverse("routes:validate_edit", args=[pk]), form_data(), **htmx).status_code == 404
    assert client.get(reverse("routes:delete", args=[pk])).status_code == 404
    assert client.post(reverse("routes:delete", args=[pk])).status_code == 404
    # Reviewing is for platform engineers, whoever owns the route.
    assert client.post(reverse("routes:approve", args=[pk]), {"revision": 1}).status_code == 403
    assert client.post(reverse("routes:reject", args=[pk]), {"revision": 1, "comment": "x"}).status_code == 403
    approved_route.refresh_from_db()
    assert approved_route.deletion_requested_at is None and approved_route.revision == 1
    assert "cart" not in client.get(reverse("routes:list")).content.decode()


@pytest.mark.django_db
def test_another_teams_route_cannot_be_reached_through_list_filters(login, bob, approved_route):
    body = login(bob).get(reverse("routes:list"), {"team": "shop", "q": "cart"}).content.decode()

    assert "cart.shop.example.com" not in body


# Hostname takeover through the form


@pytest.fixture
def takeover(approved_route, cluster, pat, quinn):
    """Team shop owns cart.shop.example.com and bücher.shop.example.com; team evil's domain covers them, and it
    has namespaces on both clusters and a live route of its own."""
    owned = services.submit_route(
        user=approved_route.created_by,
        team=approved_route.team,
        cluster=cluster,
        namespace="shop",
        name="books",
        spec=spec(host="bücher.shop.example.com"),
    )
    services.approve_route(owned, user=pat)
    evil = make_team("evil", domains=["example.com"], namespaces=[(cluster, "evil")])
    other_cluster = Cluster.objects.create(name="prod-us", mode="directory")
    TeamNamespace.objects.create(team=evil, cluster=other_cluster, namespace="evil")
    mallory = make_user("mallory", teams=[evil])
    own = services.submit_route(
        user=mallory, team=evil, cluster=cluster, namespace="evil", name="www", spec=spec(host="www.example.com")
    )
    services.approve_route(own, user=quinn)
    return mallory, own


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"host": "CART.Shop.Example.COM"}, 'team "shop"'),
        ({"host": "cart.shop.example.com."}, 'team "shop"'),
        ({"host": "cart。shop.example.com"}, 'team "shop"'),
        ({"host": "xn--bcher-kva.shop.example.com"}, 'team "shop"'),
        ({"host": "BÜCHER.shop.example.com"}, 'team "shop"'),
        ({"host": "*.shop.example.com"}, "can only be requested by a platform engineer"),
        ({"host": "cart.shop.example.com/admin"}, "must not include a path"),
        ({"host": "cart.shop.example.com", "path": "/admin"}, 'team "shop"'),
        ({"host": "cart.shop.example.com", "cluster": "prod-us"}, 'team "shop"'),
    ],
    ids=[
        "case",
        "trailing-dot",
        "ideographic-dot",
        "punycode",
        "unicode",
        "wildcard",
        "path-in-host",
        "path-under-host",
        "other-cluster",
    ],
)
def test_another_teams_host_cannot_be_taken_through_the_form(login, takeover, form_data, overrides, message):
    mallory, _ = takeover
    client = login(mallory)
    data = form_data(team="evil", namespace="evil", name="grab", **overrides)

    for url in (reverse("routes:validate"), reverse("routes:create")):
        response = client.post(url, data)
        assert response.status_code == 200
        assert message in host_errors(response), url
    assert not Route.objects.filter(name="grab").exists()


@pytest.mark.django_db
def test_platform_engineer_acting_for_a_team_cannot_take_hosts_under_a_wildcard(login, takeover, form_data, cluster):
    platform = make_user("operator", platform=True)

    response = login(platform).post(
        reverse("routes:create"), form_data(team="evil", namespace="evil", name="grab", host="*.shop.example.com")
    )

    assert 'team "shop"' in host_errors(response)
    assert not Route.objects.filter(name="grab").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["cart.shop.example.com", "Cart.Shop.Example.Com.", "xn--bcher-kva.shop.example.com"])
def test_editing_an_existing_route_onto_another_teams_host_is_refused(login, takeover, form_data, host):
    mallory, own = takeover

    response = login(mallory).post(
        reverse("routes:edit", args=[own.pk]), form_data(team="evil", namespace="evil", name="www", host=host)
    )

    assert response.status_code == 200 and 'team "shop"' in host_errors(response)
    own.refresh_from_db()
    assert (own.revision, own.host) == (1, "www.example.com")


@pytest.mark.django_db
@pytest.mark.parametrize("view", ["routes:create", "routes:validate"])
def test_a_form_body_over_the_size_limit_is_a_413_page_not_an_error(alice, form_data, view):
    client = Client(enforce_csrf_checks=True)  # the CSRF check is the first to read a form's body
    client.force_login(alice)

    response = client.post(reverse(view), form_data(path="/" + "a" * 3_000_000))

    assert response.status_code == 413
    assert "The request body is too large" in response.content.decode()
    assert not Route.objects.exists()
