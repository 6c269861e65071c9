"""Signing in and out, and what an anonymous visitor gets."""

import pytest
from django.test import Client
from django.urls import reverse


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url_name", ["routes:dashboard", "routes:list", "routes:create", "routes:review_queue", "clusters:list"]
)
def test_anonymous_visitor_is_sent_to_login(client, url_name):
    url = reverse(url_name)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_login_from_a_route_and_its_fragment(client, approved_route, htmx_headers):
    url = approved_route.get_absolute_url()

    assert client.get(url).status_code == 302
    # A poll after the session expired: htmx is told to load the login page in the whole tab, back to this page.
    fragment = client.get(url, HTTP_HX_CURRENT_URL=f"http://testserver{url}", **htmx_headers)
    assert fragment.status_code == 200 and fragment.content == b""
    assert fragment["HX-Redirect"] == f"{reverse('login')}?next={url}"


@pytest.mark.django_db
def test_signed_out_htmx_requests_never_get_the_login_page_as_a_fragment(client, htmx_headers):
    for url in (reverse("routes:list"), reverse("routes:review_count"), reverse("routes:cluster_offers")):
        response = client.get(url, **htmx_headers)
        assert response["HX-Redirect"].startswith(reverse("login")) and b"<form" not in response.content


@pytest.mark.django_db
def test_login_page_has_labelled_fields(client):
    response = client.get(reverse("login"))

    html = response.content.decode()
    assert '<label for="id_username">' in html and '<label for="id_password">' in html
    assert 'id="id_username_error"' in html


@pytest.mark.django_db
def test_wrong_password_is_reported_without_signing_in(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": "wrong"})

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_developer_signs_in_lands_on_dashboard_and_signs_out(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": "pw-alice"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("routes:dashboard")
    assert "alice" in response.content.decode()
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and client.get(reverse("routes:dashboard")).status_code == 302


@pytest.mark.django_db
def test_login_form_needs_a_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("login"), {"username": "alice", "password": "pw-alice"})

    assert response.status_code == 403
