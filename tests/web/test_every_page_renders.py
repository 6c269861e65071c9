"""Every page and htmx fragment, rendered for every role with the demo data: no template syntax leaks into what
the browser gets, and a page's <head> holds what belongs there.

A multi-line ``{# #}`` is not a comment in Django: it is printed as text, and the browser then closes <head> at
that text, so the title, the stylesheet and the scripts land in <body>. Nothing noticed when base.html had one.
This test renders every URL name of the site (the API's JSON and Django's own admin pages aside, each said
below), so a new page that is not listed here fails until it is.
"""

import io
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

ROLES = ("anonymous", "developer_team_a", "developer_team_b", "platform_engineer", "superuser")
LEAKS = ("{#", "#}", "{%", "%}", "{{", "}}")
HX = {"HTTP_HX_REQUEST": "true"}


@dataclass(frozen=True)
class Page:
    """One request: a URL name with its arguments (route names of the demo data), how it is sent."""

    url_name: str
    route: str | None = None  # the demo route whose id is the URL's ``pk_arg`` (and ``{pk}`` in data)
    pk_arg: str | None = "pk"
    kwargs: dict = field(default_factory=dict)
    query: str = ""
    method: str = "get"
    htmx: bool = False
    data: dict | None = None

    @property
    def label(self) -> str:
        return " ".join(
            filter(None, [self.method.upper(), self.url_name, self.route, self.query, "(htmx)" if self.htmx else ""])
        )


ROUTE_FORM = {
    "team": "shop",
    "cluster": "local",
    "namespace": "shop",
    "name": "cart",
    "host": "cart.shop.example.com",
    "path": "/",
    "path_type": "Prefix",
    "backend_kind": "existing",
    "service_name": "cart",
    "service_port": "8080",
    "target_port": "",
    "selector": "",
    "service_type": "ClusterIP",
    "external_name": "",
    "tls_mode": "cert-manager",
    "issuer": "",
    "secret_name": "",
}
# The demo's routes: frontend (approved and applied), api (pending), metrics (rejected) in team shop on cluster
# local, and blog (pending) in team blog.
DEMO_ROUTES = ("frontend", "api", "metrics", "blog")

PAGES = [
    Page("login"),
    Page("swagger-ui"),
    Page("routes:dashboard"),
    Page("routes:list"),
    Page("routes:list", query="health=Healthy&q=shop"),
    Page("routes:list", htmx=True),
    Page("routes:create"),
    Page("routes:create", method="post", data={**ROUTE_FORM, "host": "not a host"}),
    Page("routes:validate", method="post", htmx=True, data=ROUTE_FORM),
    Page("routes:validate", method="post", htmx=True, data={**ROUTE_FORM, "host": "x..", "service_port": "0"}),
    Page("routes:cluster_offers", query="cluster=local&namespace=shop", htmx=True),
    *[Page("routes:detail", route=name) for name in DEMO_ROUTES],
    *[Page("routes:detail", route=name, htmx=True) for name in DEMO_ROUTES],
    *[Page("routes:edit", route=name) for name in DEMO_ROUTES],
    Page(
        "routes:validate_edit",
        route="api",
        method="post",
        htmx=True,
        data={**ROUTE_FORM, "name": "api", "host": "shop.example.com", "path": "/api/v2"},
    ),
    Page("routes:delete", route="frontend"),
    Page("routes:review_queue"),
    Page("routes:review_count", htmx=True),
    Page("routes:review_dry_run", route="api", htmx=True),
    Page(
        "routes:validate", method="post", htmx=True, data={**ROUTE_FORM, "timeout_seconds": "30", "source_ranges": "x"}
    ),
    Page("routes:approve", route="api", method="post", htmx=True, data={"revision": "1", "comment": "ok"}),
    Page("routes:reject", route="blog", method="post", htmx=True, data={"revision": "1", "comment": "not yet"}),
    Page("routes:approve", route="api", method="post", htmx=True, data={"revision": "x"}),
    Page("routes:adopt", kwargs={"name": "local"}),
    Page("routes:adopt", kwargs={"name": "local"}, htmx=True),
    Page("clusters:list"),
    Page("admin:index"),
    Page("admin:routes_route_changelist"),
    Page("admin:routes_route_change", route="api", pk_arg="object_id"),
    Page(
        "admin:routes_route_changelist",
        method="post",
        route="api",
        pk_arg=None,
        data={"action": "reject_selected", "_selected_action": "{pk}"},
    ),
    Page("sso:failed"),
    Page("sso:no_access"),  # for people single sign-on did not make: 403 (the page itself: tests/sso)
    Page("logout", method="post"),  # last: it signs the client out
]
# URL names this test does not render, and why. Anything else the URLconf names must be in PAGES.
NOT_RENDERED = {
    "schema": "the OpenAPI document, YAML: tests/api/test_schema_and_docs.py",
    "sso:login": "a redirect to the identity provider (404 without one): tests/sso against a real Dex",
    "sso:callback": "needs a sign-in started at the identity provider: tests/sso against a real Dex",
}
NOT_RENDERED_PREFIXES = {
    "api/v1/": "JSON, no template: tests/api",
    "admin/": "Django's own admin templates; the pages with Portico's templates or overrides are in PAGES",
}


def _url_patterns(resolver=None, prefix="", namespace=""):
    """(name with namespace, route) of every named URL pattern."""
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from _url_patterns(pattern, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield namespace + pattern.name, prefix + str(pattern.pattern)


def test_every_named_url_is_rendered_here_or_says_why_not():
    rendered = {page.url_name for page in PAGES}
    missing = sorted(
        name
        for name, route in _url_patterns()
        if name not in rendered
        and name not in NOT_RENDERED
        and not any(route.startswith(prefix) for prefix in NOT_RENDERED_PREFIXES)
    )
    assert not missing, f"add these URL names to PAGES in {__name__} (or to NOT_RENDERED, saying why): {missing}"


class _Document(HTMLParser):
    """The text of a page or fragment, its attribute values, and what sits in <head>, including any text there
    outside <title> (which makes a browser close <head> early)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []  # what the reader sees, and comments
        self.data: list[str] = []  # attribute values and <script>/<style> bodies: JSON may end in "}}" there
        self.in_head: list[str] = []  # "tag" or "tag rel-or-name" of elements opened inside <head>
        self.head_text: list[str] = []
        self.title = ""

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.data += [value for _, value in attrs if value]
        if "head" in self.stack:
            self.in_head.append(f"{tag} {attributes.get('rel') or attributes.get('name') or ''}".strip())
        if tag not in VOID_ELEMENTS:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_ELEMENTS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in self.stack:
            del self.stack[len(self.stack) - 1 - self.stack[::-1].index(tag) :]

    def handle_comment(self, data):
        self.text.append(data)

    def handle_data(self, data):
        inside = self.stack[-1] if self.stack else ""
        (self.data if inside in {"script", "style"} else self.text).append(data)
        if inside == "title":
            self.title += data
        elif "head" in self.stack and inside not in {"script", "style"} and data.strip():
            self.head_text.append(data.strip())


VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def _leaks(chunks: list[str], leaks) -> list[str]:
    found = []
    for chunk in chunks:
        for leak in leaks:
            at = chunk.find(leak)
            if at >= 0:
                found.append(f"template syntax {leak!r} in the output: ...{chunk[max(0, at - 80) : at + 80]!r}")
    return found


def _problems(page: Page, response) -> list[str]:
    if response.status_code >= 500:
        return [f"{page.label}: {response.status_code}"]
    if "html" not in response.get("Content-Type", ""):
        return []
    html = response.content.decode()
    document = _Document()
    document.feed(html)
    document.close()
    # "{{" cannot start JSON, "}}" can end it, so attribute values and scripts are checked for all but "}}".
    problems = _leaks(document.text, LEAKS) + _leaks(document.data, [leak for leak in LEAKS if leak != "}}"])
    if "<html" in html:
        if document.head_text:
            problems.append(f"text inside <head> closes it early: {document.head_text}")
        if not document.title.strip() or "title" not in document.in_head:
            problems.append("no <title> in <head>")
        if "link stylesheet" not in document.in_head:
            problems.append(f"no stylesheet in <head> ({document.in_head})")
    return [f"{page.label}: {problem}" for problem in problems]


@pytest.fixture
def demo(db, django_capture_on_commit_callbacks):
    """`make run`'s demo data with the frontend reconciled onto cluster local, and a user per role."""
    with django_capture_on_commit_callbacks():  # enqueues nothing: the reconcile below is in this process
        call_command("load_demo", stdout=io.StringIO())
    call_command("reconcile", cluster="local", stdout=io.StringIO())
    engineer = User.objects.create_user("engineer", password="pw", is_staff=True)
    engineer.groups.add(Group.objects.get(name="platform"))
    users = {
        "developer_team_a": User.objects.get(username="dev"),
        "developer_team_b": User.objects.get(username="blogger"),
        "platform_engineer": engineer,
        "superuser": User.objects.create_superuser("root", password="pw"),
    }
    from routes.models import Route

    routes = {route.name: route for route in Route.objects.filter(name__in=DEMO_ROUTES)}
    assert set(routes) == set(DEMO_ROUTES)
    return {"users": users, "routes": routes}


@pytest.mark.parametrize("role", ROLES)
def test_every_page_renders_without_leaked_template_syntax(demo, role, django_capture_on_commit_callbacks):
    client = Client()
    if role != "anonymous":
        client.force_login(demo["users"][role])
    problems, signed_out = [], []
    for page in PAGES:
        pk = str(demo["routes"][page.route].pk) if page.route else None
        kwargs = {**page.kwargs, **({page.pk_arg: pk} if pk and page.pk_arg else {})}
        url = reverse(page.url_name, kwargs=kwargs) + (f"?{page.query}" if page.query else "")
        data = {k: v.format(pk=pk) for k, v in (page.data or {}).items()}
        with django_capture_on_commit_callbacks():  # approvals here enqueue nothing
            response = getattr(client, page.method)(url, data, follow=not page.htmx, **(HX if page.htmx else {}))
        problems += _problems(page, response)
        redirects = [url for url, _ in getattr(response, "redirect_chain", [])] + [response.get("HX-Redirect", "")]
        if any("login/" in url for url in redirects):
            signed_out.append(page.label)
    assert not problems, "\n".join(problems)
    # The pages were rendered for the role, not only the sign-in page they redirect to.
    public = {"login", "logout", "swagger-ui", "sso:failed"}
    if role == "anonymous":
        assert not [page.label for page in PAGES if page.url_name not in public and page.label not in signed_out]
    else:
        expected = {
            p.label
            for p in PAGES
            if p.url_name == "logout" or (p.url_name.startswith("admin:") and not demo["users"][role].is_staff)
        }
        assert set(signed_out) == expected


def test_the_check_finds_a_leaked_comment_and_head_content_pushed_into_the_body():
    """The checks themselves: what base.html's two-line {# #} produced is reported, a clean page is not."""

    class Response(dict):
        status_code = 200

        def __init__(self, html):
            super().__init__({"Content-Type": "text/html; charset=utf-8"})
            self.content = html.encode()

    page = Page("routes:dashboard")
    clean = (
        '<!doctype html><html><head><meta charset="utf-8"><title>Portico</title>'
        '<link rel="stylesheet" href="/s.css"></head>'
        '<body><div data-formset=\'{"options": {"prefix": "x"}}\'><p>{"a": 1}</p></div></body></html>'
    )
    leaked = clean.replace('<meta charset="utf-8">', '<meta charset="utf-8">{# No inline script\n anywhere #}')

    assert _problems(page, Response(clean)) == []
    found = _problems(page, Response(leaked))
    assert any("'{#'" in problem for problem in found) and any("'#}'" in problem for problem in found)
    assert any("text inside <head>" in problem for problem in found)
    assert _problems(page, Response(clean.replace("<p>", "<p>{{ route.name }"))) != []
    assert any("no stylesheet" in problem for problem in _problems(page, Response(clean.replace("stylesheet", "x"))))
