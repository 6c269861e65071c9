"""Deleting a route: a confirmation page first, then the worker removes its objects; the host stays claimed."""

import pytest
from django.urls import reverse

from routes import reconcile
from routes.models import HostClaim, Route


@pytest.mark.django_db
def test_confirmation_page_explains_what_happens_and_changes_nothing(login, alice, approved_route):
    response = login(alice).get(reverse("routes:delete", args=[approved_route.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Delete route cart?" in html and "stays claimed by team <strong>shop</strong>" in html
    assert '<button type="submit" class="btn btn-danger">Delete the route</button>' in html
    assert Route.objects.get(pk=approved_route.pk).deletion_requested_at is None


@pytest.mark.django_db
def test_confirming_requests_deletion_and_the_route_page_follows_it(login, alice, approved_route):
    reconcile.reconcile_route(approved_route.pk)
    client = login(alice)

    response = client.post(reverse("routes:delete", args=[approved_route.pk]), follow=True)

    assert response.redirect_chain[-1][0] == approved_route.get_absolute_url()
    html = response.content.decode()
    assert "Deletion of &quot;cart&quot; requested" in html and "Deletion requested" in html
    reconcile.reconcile_route(approved_route.pk)
    assert Route.objects.get(pk=approved_route.pk).is_deleted
    assert HostClaim.objects.get(host="cart.shop.example.com").team.slug == "shop"
    assert "cart.shop.example.com" not in client.get(reverse("routes:list")).content.decode()


@pytest.mark.django_db
def test_a_route_never_approved_is_gone_at_once(login, alice, submit):
    route = submit()

    response = login(alice).post(reverse("routes:delete", args=[route.pk]), follow=True)

    assert "nothing had been applied" in response.content.decode()
    assert Route.objects.get(pk=route.pk).is_deleted


@pytest.mark.django_db
def test_a_deleted_route_offers_no_edit_or_delete(login, alice, submit):
    route = submit()
    client = login(alice)
    client.post(reverse("routes:delete", args=[route.pk]))

    html = client.get(route.get_absolute_url()).content.decode()

    assert reverse("routes:edit", args=[route.pk]) not in html and "Delete…" not in html
