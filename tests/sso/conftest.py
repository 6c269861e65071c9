"""A real identity provider for the single sign-on tests: Dex, built from its Go module, in front of OpenLDAP
(sso/localidp.py), on loopback over HTTPS, one per test process. Sign-ins go through Dex's own login form."""

from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

from sso import provider
from sso.localidp import PEOPLE, LocalIdP
from sso.models import GroupMapping

PERSON = {p.uid: p for p in PEOPLE}
CALLBACK = "http://testserver/sso/callback/"


@pytest.fixture(scope="session")
def idp():
    local = LocalIdP(redirect_uris=[CALLBACK]).start()
    yield local
    local.stop()


@pytest.fixture
def sso(settings, idp):
    """Portico pointed at the local Dex (re-check on every request), with the demo's group mappings."""
    for name, value in idp.settings().items():
        setattr(settings, name, value)
    settings.PORTICO_OIDC_PROVIDER_NAME = "Dex"
    settings.PORTICO_OIDC_RECHECK_SECONDS = 0
    provider.reset_cache()
    yield idp
    provider.reset_cache()


@pytest.fixture
def mapped(sso, shop, other_team):
    """shop-devs -> team shop, blog-writers -> team blog, platform-engineers -> platform engineers."""
    GroupMapping.objects.create(group="shop-devs", team=shop)
    GroupMapping.objects.create(group="blog-writers", team=other_team)
    GroupMapping.objects.create(group="platform-engineers", platform=True)
    return {"shop": shop, "blog": other_team}


class _Form(HTMLParser):
    def __init__(self):
        super().__init__()
        self.action, self.fields = None, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attrs.get("action", "")
        elif tag == "input" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value") or ""


def dex_login(idp, authorize_url: str, uid: str, password: str | None = None) -> str:
    """Go through Dex's login page as a browser would (GET the authorization URL, fill in and post its form,
    follow its redirects) and return the URL Dex sends the browser back to Portico with."""
    person = PERSON[uid]
    browser = requests.Session()
    ca = str(idp.ca_path)  # per call: a session's own `verify` loses to REQUESTS_CA_BUNDLE when that is set
    page = browser.get(authorize_url, timeout=10, verify=ca)
    page.raise_for_status()
    form = _Form()
    form.feed(page.text)
    assert form.action is not None and "password" in form.fields, f"no login form on {page.url}:\n{page.text[:500]}"
    form.fields.update(login=uid, password=password if password is not None else person.password)
    response = browser.post(
        urljoin(page.url, form.action), data=form.fields, allow_redirects=False, timeout=10, verify=ca
    )
    for _ in range(10):
        if response.status_code not in (301, 302, 303, 307):
            break
        location = urljoin(response.url, response.headers["Location"])
        if location.startswith("http://testserver/"):
            return location
        response = browser.get(location, allow_redirects=False, timeout=10, verify=ca)
    raise AssertionError(
        f"Dex did not send the browser back: {response.status_code} {response.url}\n{response.text[:500]}"
    )


def start(client, next_url=None):
    """Portico's sign-in start: the redirect to Dex's authorization endpoint."""
    response = client.get("/sso/login/", {"next": next_url} if next_url else {})
    assert response.status_code == 302, response.status_code
    return response["Location"]


def sign_in(client, idp, uid, *, next_url=None):
    """Sign ``uid`` in through Dex's login page; Portico's answer to the callback."""
    callback = dex_login(idp, start(client, next_url), uid)
    parts = urlsplit(callback)
    return client.get(parts.path, parse_qs(parts.query))


def callback_path(url: str) -> tuple[str, dict]:
    parts = urlsplit(url)
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}
