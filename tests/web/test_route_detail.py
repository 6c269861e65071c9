"""The route page: spec, live status that polls until settled, diagnostics, manifests, history."""

import pytest

from routes import reconcile, services
from routes.domain.values import Backend
from tests.factories import spec

POLL = 'hx-trigger="every 2s"'


@pytest.mark.django_db
def test_page_shows_spec_manifests_reviews_and_audit_trail(login, alice, approved_route):
    response = login(alice).get(approved_route.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert "https://cart.shop.example.com/" in html
    assert "kind: Ingress" in html and "kind: Certificate" in html and "ingressClassName: nginx" in html
    assert "Existing Service <code>cart:8080</code>" in html
    assert "claimed by team shop" in html
    assert "r1 by pat" in html and "ok" in html  # the review and its comment
    assert 'class="audit-verb">create<' in html and 'class="audit-verb">approve<' in html


@pytest.mark.django_db
def test_htmx_request_gets_only_the_status_fragment_and_vary_header(login, alice, approved_route, htmx_headers):
    client = login(alice)

    page = client.get(approved_route.get_absolute_url())
    fragment = client.get(approved_route.get_absolute_url(), **htmx_headers)

    body = fragment.content.decode()
    assert body.lstrip().startswith('<section id="route-status"')
    assert "<html" not in body and "kind: Ingress" not in body
    assert 'id="route-status"' in page.content.decode()
    assert "HX-Request" in fragment["Vary"] and "HX-Request" in page["Vary"]


@pytest.mark.django_db
def test_status_polls_while_approved_revision_is_not_applied_and_stops_once_settled(
    login, alice, approved_route, htmx_headers
):
    client = login(alice)
    url = approved_route.get_absolute_url()
    assert POLL in client.get(url).content.decode()
    assert POLL in client.get(url, **htmx_headers).content.decode()

    reconcile.reconcile_route(approved_route.pk)

    body = client.get(url, **htmx_headers).content.decode()
    assert "Synced" in body and "Healthy" in body
    assert "hx-trigger" not in body and "hx-get" not in body


@pytest.mark.django_db
def test_pending_route_does_not_poll(login, alice, submit):
    route = submit()

    html = login(alice).get(route.get_absolute_url()).content.decode()

    assert "waits for a platform engineer" in html
    assert POLL not in html


@pytest.mark.django_db
def test_status_polls_while_deletion_is_in_progress_and_stops_when_deleted(login, alice, approved_route, htmx_headers):
    reconcile.reconcile_route(approved_route.pk)
    route = services.request_deletion(approved_route, user=alice)
    client = login(alice)
    assert POLL in client.get(route.get_absolute_url(), **htmx_headers).content.decode()

    reconcile.reconcile_route(route.pk)

    body = client.get(route.get_absolute_url(), **htmx_headers).content.decode()
    assert "Deleted" in body and "hx-trigger" not in body


@pytest.mark.django_db
def test_diagnostics_chain_is_shown_after_apply(login, alice, approved_route):
    reconcile.reconcile_route(approved_route.pk)

    html = login(alice).get(approved_route.get_absolute_url()).content.decode()

    assert '<ol class="chain">' in html and "Cluster reachable" in html and "Host claim held" in html


@pytest.mark.django_db
def test_pending_edit_shows_its_diff_against_the_live_revision(login, alice, approved_route):
    services.edit_route(approved_route, user=alice, spec=spec(backend=Backend(service_name="cart", service_port=9090)))

    html = login(alice).get(approved_route.get_absolute_url()).content.decode()

    assert "Pending change" in html
    assert '<span class="diff-del">-  service_port: 8080</span>' in html
    assert '<span class="diff-add">+  service_port: 9090</span>' in html


@pytest.mark.django_db
def test_rejection_comment_is_escaped(login, alice, submit, pat):
    route = services.reject_route(submit(), user=pat, comment="<script>alert(1)</script>")

    html = login(alice).get(route.get_absolute_url()).content.decode()

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" not in html


@pytest.mark.django_db
def test_another_teams_route_is_not_found_on_page_and_fragment(login, bob, approved_route, htmx_headers):
    client = login(bob)

    assert client.get(approved_route.get_absolute_url()).status_code == 404
    assert client.get(approved_route.get_absolute_url(), **htmx_headers).status_code == 404


@pytest.mark.django_db
def test_platform_engineer_sees_any_teams_route(login, quinn, approved_route):
    assert login(quinn).get(approved_route.get_absolute_url()).status_code == 200
