"""In the browser: a platform engineer adopts one Ingress from the adoption page without a page reload."""

import pytest
from playwright.sync_api import expect

from routes.models import Route
from tests.adopt.conftest import INGRESS
from tests.browser.conftest import (  # noqa: F401 - fixtures
    browser_type_launch_args,
    mark_document,
    no_reload_since_marked,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_adopting_one_ingress_updates_the_list_in_place(sign_in, realkube, kube_cluster, hand_made, pat):
    hand_made("cart")
    hand_made("legacy", host="legacy.shop.example.com", ingress_class="traefik")
    page = sign_in(pat)
    page.goto("/clusters/")
    page.get_by_role("link", name="Adopt existing Ingresses").click()
    expect(page.get_by_role("heading", name="Adopt Ingresses on real")).to_be_visible()
    expect(page.locator("#ingress-shop-legacy")).to_contain_text("Not adoptable")
    mark_document(page)

    page.get_by_label("shop/cart").check()
    page.get_by_role("button", name="Adopt selected").click()

    result = page.locator("#adopt-results")
    expect(result).to_contain_text("Adopted shop/cart as route cart of team shop")
    expect(page.locator("#ingress-shop-cart")).to_have_count(0)
    expect(page.locator("#ingress-shop-legacy")).to_be_visible()
    assert no_reload_since_marked(page)
    route = Route.objects.get(name="cart")
    assert (route.approval, route.applied_revision) == ("approved", 1)
    assert realkube.get(*INGRESS, "shop", "cart")["metadata"]["labels"]["portico.dev/route"] == str(route.pk)

    result.get_by_role("link", name="cart").click()
    expect(page.get_by_role("heading", name="cart", exact=True)).to_be_visible()
