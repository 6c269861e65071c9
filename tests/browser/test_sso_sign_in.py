"""Signing in with Dex in Chromium: Portico's login page, Dex's own login page (LDAP behind it), and back, with
the team the person's group maps to; and the page that tells someone whose groups grant nothing why."""

import pytest
from playwright.sync_api import expect

from sso import provider
from sso.localidp import LocalIdP
from sso.models import GroupMapping

from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="session")
def browser_idp(live_server):
    idp = LocalIdP(redirect_uris=[f"{live_server.url}/sso/callback/"]).start()
    yield idp
    idp.stop()


@pytest.fixture
def dex(settings, browser_idp, shop):
    for name, value in browser_idp.settings().items():
        setattr(settings, name, value)
    settings.PORTICO_OIDC_PROVIDER_NAME = "Dex"
    provider.reset_cache()
    GroupMapping.objects.create(group="shop-devs", team=shop)
    yield browser_idp
    provider.reset_cache()


def sign_in_with_dex(browser, live_server, uid):
    # Chromium does not know the CA Dex's certificate comes from (made at the fixture's start); Portico itself
    # verifies Dex against it (PORTICO_OIDC_CA_BUNDLE).
    context = browser.new_context(base_url=live_server.url, ignore_https_errors=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login/")
    screenshot(page, "login-with-sso")
    page.get_by_role("link", name="Sign in with Dex").click()
    page.wait_for_url("**/dex/auth/**")
    # Dex's username label points at no field (for="userid", the input is "login"): found by its placeholder.
    page.get_by_placeholder("username").fill(uid)
    page.get_by_label("Password").fill(f"pw-{uid}")
    page.get_by_role("button", name="Login").click()
    return context, page


def test_a_team_member_signs_in_through_dexs_login_page(browser, live_server, dex):
    context, page = sign_in_with_dex(browser, live_server, "alice")
    try:
        page.wait_for_url(f"{live_server.url}/")
        expect(page.locator(".user-name")).to_contain_text("alice")
        page.goto("/routes/new/")
        expect(page.locator("#id_team")).to_contain_text("shop")
    finally:
        context.close()


def test_someone_whose_groups_grant_nothing_is_told_why(browser, live_server, dex):
    context, page = sign_in_with_dex(browser, live_server, "carol")
    try:
        page.wait_for_url("**/sso/no-access/")
        screenshot(page, "sso-no-access")
        expect(page.locator("main")).to_contain_text("none of your groups gives a Portico team")
        expect(page.locator("main")).to_contain_text("marketing")
    finally:
        context.close()
