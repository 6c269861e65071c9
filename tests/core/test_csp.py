"""Every page works under the Content-Security-Policy: no inline script and no inline event handlers."""

import re

import pytest

# A <script type="application/json"> is data, never run, so the policy has nothing to block there.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
PAGES = [
    "/login/",
    "/",
    "/routes/",
    "/routes/new/",
    "/reviews/",
    "/clusters/",
    "/api/docs/",
    "/admin/",
    "/admin/routes/route/",
    "/api/v1/routes/?format=api",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_page_has_no_inline_script(client, pat, approved_route, path):
    client.force_login(pat)
    response = client.get(path, follow=True)
    assert response.status_code == 200, path
    html = response.content.decode()
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert not INLINE_SCRIPT.findall(html), f"{path} has an inline <script>, which the CSP blocks"
    assert not INLINE_HANDLER.findall(html), f"{path} has an inline event handler, which the CSP blocks"


@pytest.mark.django_db
def test_swagger_ui_initialiser_is_served_as_a_script_file(client, pat):
    client.force_login(pat)
    html = client.get("/api/docs/").content.decode()
    sources = re.findall(r'<script[^>]*src="([^"]+)"', html)
    initialiser = next(src for src in sources if "script=" in src)
    response = client.get(initialiser)
    assert response.status_code == 200 and "SwaggerUIBundle" in response.content.decode()
