"""Property tests over the route serializer and the policy behind it: whatever body a client sends, the answer is
a success or a 400/409 whose field errors are nested like the body, never a server error; valid bodies pass.

Bodies go through the API (dry runs, real requests and PATCHes) so the serializer, the policy and rendering are
judged together, as a client meets them.
"""

import json

import idna
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routes.domain.policy.hosts import normalize_host
from routes.models import Route
from teams.models import Team, TeamNamespace

from .conftest import GENERATED, route_body, url

FIELDS = {"name", "team", "cluster", "namespace", "host", "path", "path_type", "backend", "tls"}
NESTED = {
    "backend": {"service_name", "service_port", "target_port", "selector", "service_type", "external_name"},
    "tls": {"mode", "issuer", "secret_name"},
}


def bounded(examples: int):
    return settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))


# Text a client may send: ordinary, unicode, control characters, NUL and lone surrogates (valid JSON escapes).
text = st.text(st.characters(codec=None, exclude_categories=()), max_size=30) | st.sampled_from(
    [
        "",
        " ",
        "cart",
        "Cart",
        "cart.shop.example.com",
        "/",
        "/api",
        "..",
        "*",
        "\x00",
        "\ud800",
        "8080",
        "http",
        "ClusterIP",
        "NodePort",
        "LoadBalancer",
        "Prefix",
        "Exact",
        "cert-manager",
        "secret",
        "none",
        "shop",
        "prod-eu",
    ]
)
scalars = (
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False) | text
)
junk = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3), max_leaves=6
)
ports = st.integers(-5, 70000) | st.sampled_from(["http", "web-8080", "", "x" * 20]) | junk


def nested(keys, values):
    """Objects with some of ``keys`` (each from ``values``), sometimes an unknown key, sometimes not an object."""
    known = st.fixed_dictionaries({}, optional={key: values.get(key, junk) for key in keys})
    return known | st.builds(lambda d, k, v: {**d, k: v}, known, text, junk) | junk


backend = nested(
    NESTED["backend"],
    {
        "service_name": text,
        "service_port": ports,
        "target_port": ports,
        "selector": st.dictionaries(text, text, max_size=3) | junk,
        "service_type": text,
        "external_name": text,
    },
)
tls = nested(NESTED["tls"], {"mode": text, "issuer": text, "secret_name": text})
route_bodies = st.builds(
    lambda base, drop, extra: {k: v for k, v in {**base, **extra}.items() if k not in drop},
    st.fixed_dictionaries(
        {
            "name": st.sampled_from(["cart", "basket"]) | text,
            "team": st.sampled_from(["shop", "blog"]) | junk,
            "cluster": st.just("prod-eu") | junk,
            "namespace": st.just("shop") | text,
            "host": text,
            "path": text,
            "path_type": text,
            "backend": backend,
            "tls": tls,
        }
    ),
    st.sets(st.sampled_from(sorted(FIELDS)), max_size=3),
    st.dictionaries(text, junk, max_size=1),
)

label = st.from_regex(r"\A[a-z]([a-z0-9-]{0,12}[a-z0-9])?\Z")
valid_bodies = st.builds(
    lambda name, sub, path, path_type, port, tls_mode: route_body(
        name=name,
        host=f"{sub}.shop.example.com",
        path=path,
        path_type=path_type,
        backend={"service_name": "cart", "service_port": port},
        tls={"mode": tls_mode},
    ),
    label,
    label,
    st.from_regex(r"\A/([a-z0-9_-]{1,10}(/[a-z0-9_-]{1,10}){0,3})?\Z"),
    st.sampled_from(["Prefix", "Exact"]),
    st.integers(1, 65535) | st.sampled_from(["http", "web"]),
    st.just("cert-manager"),
)


def send(client, method, path, body):
    """The body as JSON with every non-ASCII character escaped, so lone surrogates travel as a client sends them."""
    return getattr(client, method)(path, json.dumps(body), content_type="application/json")


def assert_field_errors(errors, sent):
    """400/409 bodies: a list of messages per field, nested objects for backend and tls (and their selector's
    keys), or a parse ``detail``."""
    assert isinstance(errors, dict) and errors
    if set(errors) == {"detail"}:
        assert isinstance(errors["detail"], str)
        return
    allowed = FIELDS | {"non_field_errors"} | (set(sent) if isinstance(sent, dict) else set())
    assert set(errors) <= allowed, errors
    for field, value in errors.items():
        assert isinstance(value, list) or field in NESTED, errors
        assert_messages(value)


def assert_messages(node):
    """Leaves are non-empty lists of non-empty messages; inner nodes are objects keyed like the body."""
    if isinstance(node, dict):
        assert node
        for child in node.values():
            assert_messages(child)
    else:
        assert isinstance(node, list) and node and all(isinstance(m, str) and m for m in node), node


@pytest.fixture
def client(api, alice, other_team, no_throttle):
    return api(alice)


def test_any_body_is_a_dry_run_result_or_field_errors(client):
    @given(body=route_bodies)
    @bounded(600)
    def check(body):
        GENERATED["hypothesis"] += 1
        response = send(client, "post", url() + "?dry_run=true", body)
        assert response.status_code in (200, 400, 409), (response.status_code, body)
        if response.status_code == 200:
            assert response.json()["valid"] is True
        else:
            assert_field_errors(response.json(), body)

    check()
    assert not Route.objects.exists()


def test_valid_bodies_pass_the_dry_run_and_render_their_host(client):
    @given(body=valid_bodies)
    @bounded(80)
    def check(body):
        GENERATED["hypothesis"] += 1
        response = send(client, "post", url() + "?dry_run=true", body)
        assert response.status_code == 200, response.json()
        ingress = next(o for o in response.json()["manifests"] if o["kind"] == "Ingress")
        assert ingress["spec"]["rules"][0]["host"] == body["host"]
        assert ingress["spec"]["rules"][0]["http"]["paths"][0]["path"] == body["path"]

    check()


hostnames = st.lists(
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=10)
    | st.sampled_from(
        ["straße", "ς", "xn--strae-oqa", "bücher", "ＣＡＲＴ", "a\u200d", "a\u200c", "sh\u00adop", "İ", "ΣΑΣ", "xn--zz"]
    ),
    min_size=1,
    max_size=3,
).map(lambda labels: ".".join(labels) + ".shop.example.com")


def test_any_unicode_host_is_stored_as_browsers_resolve_it_or_refused_on_host(client):
    @given(host=hostnames)
    @bounded(150)
    def check(host):
        GENERATED["hypothesis"] += 1
        response = send(client, "post", url() + "?dry_run=true", route_body(host=host))
        assert response.status_code in (200, 400), (response.status_code, host)
        if response.status_code == 400:
            assert list(response.json()) == ["host"], response.json()
            return
        stored = next(o for o in response.json()["manifests"] if o["kind"] == "Ingress")["spec"]["rules"][0]["host"]
        assert stored.isascii() and stored == normalize_host(host)
        again = send(client, "post", url() + "?dry_run=true", route_body(host=idna.decode(stored)))
        assert (
            next(o for o in again.json()["manifests"] if o["kind"] == "Ingress")["spec"]["rules"][0]["host"] == stored
        )

    check()


@pytest.fixture
def member_of_a_team_stored_with_a_bad_slug(alice, cluster):
    """alice is also in a team whose slug was stored before slugs were checked: it cannot label objects, which
    only the render validation of a request notices."""
    team = Team.objects.create(slug="-sec-bad-", name="Sec", domains=["sec.example.com"])
    TeamNamespace.objects.create(team=team, cluster=cluster, namespace="sec")
    team.members.add(alice)


def test_a_dry_run_answers_exactly_what_the_real_request_answers(client, member_of_a_team_stored_with_a_bad_slug):
    bad_team_bodies = valid_bodies.map(
        lambda body: {**body, "team": "-sec-bad-", "namespace": "sec", "host": body["host"].replace(".shop.", ".sec.")}
    )

    @given(body=route_bodies | valid_bodies | bad_team_bodies)
    @bounded(200)
    def check(body):
        GENERATED["hypothesis"] += 2
        dry_run = send(client, "post", url() + "?dry_run=true", body)
        real = send(client, "post", url(), body)
        assert (dry_run.status_code, real.status_code) in ((200, 201), (400, 400), (409, 409)), body
        if real.status_code == 201:
            Route.objects.filter(pk=real.json()["id"]).delete()
        else:
            assert dry_run.json() == real.json()

    check()


def test_requests_either_create_the_route_or_save_nothing(client):
    @given(body=route_bodies | valid_bodies)
    @bounded(300)
    def check(body):
        GENERATED["hypothesis"] += 1
        before = Route.objects.count()
        response = send(client, "post", url(), body)
        assert response.status_code in (201, 400, 409), (response.status_code, body)
        if response.status_code == 201:
            assert Route.objects.count() == before + 1
            Route.objects.filter(pk=response.json()["id"]).delete()
        else:
            assert_field_errors(response.json(), body)
            assert Route.objects.count() == before

    check()


def test_any_patch_makes_a_revision_or_field_errors(client, submit):
    route = submit()
    patch_bodies = (
        st.fixed_dictionaries(
            {},
            optional={
                "host": text,
                "path": text,
                "path_type": text,
                "backend": backend,
                "tls": tls,
                "name": text,
            },
        )
        | junk
    )

    @given(body=patch_bodies)
    @bounded(300)
    def check(body):
        GENERATED["hypothesis"] += 1
        before = Route.objects.get(pk=route.pk).revision
        response = send(client, "patch", url(route), body)
        assert response.status_code in (200, 400, 409), (response.status_code, body)
        after = Route.objects.get(pk=route.pk).revision
        if response.status_code == 200:
            assert after in (before, before + 1)
            assert response.json()["revision"] == after
        else:
            assert_field_errors(response.json(), body)
            assert after == before

    check()
