"""No two hosts share a Certificate or TLS Secret name (docs/security.md, "One owner per object").

Before, "x-y.shop.example.com" and "x.y.shop.example.com" (and "*.d" and "wildcard.d") were both slugged to one
name: the two routes fought over one Certificate and one host was served the other's certificate.
"""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from routes.domain.policy.route import check_route
from routes.domain.render import certificate_name, desired_objects, host_label_value, tls_secret_name
from routes.domain.validation import validate_objects
from routes.domain.values import Backend, ClusterSettings, RouteSpec, RouteTarget, TeamPolicy

CLUSTER = ClusterSettings(name="prod-eu")
DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
LOOKALIKES = [
    ("x-y.shop.example.com", "x.y.shop.example.com"),
    ("*.d.example.com", "wildcard.d.example.com"),
    ("*.x-y.example.com", "*.x.y.example.com"),
    ("a.b.0123456789", "a-b.0123456789"),
]


def test_hosts_that_slug_alike_get_different_certificate_and_secret_names():
    for first, second in LOOKALIKES:
        assert certificate_name(first) != certificate_name(second), (first, second)
        assert tls_secret_name(first) != tls_secret_name(second), (first, second)


def test_two_routes_on_lookalike_hosts_get_a_certificate_each_for_their_own_host():
    routes = [
        (
            RouteTarget(
                id=f"00000000-0000-0000-0000-00000000000{n}", name=f"r{n}", team="shop", namespace="shop", revision=1
            ),
            RouteSpec(host=host, backend=Backend(service_name="web", service_port=80)),
        )
        for n, host in enumerate(("x-y.shop.example.com", "x.y.shop.example.com"))
    ]
    objects = desired_objects(routes, CLUSTER)

    certificates = {o["spec"]["dnsNames"][0]: o for o in objects if o["kind"] == "Certificate"}
    ingresses = {o["spec"]["rules"][0]["host"]: o for o in objects if o["kind"] == "Ingress"}
    assert set(certificates) == {"x-y.shop.example.com", "x.y.shop.example.com"}
    for host, ingress in ingresses.items():
        assert ingress["spec"]["tls"][0]["secretName"] == certificates[host]["spec"]["secretName"]
    assert len({c["spec"]["secretName"] for c in certificates.values()}) == 2
    assert validate_objects(objects) == []


def _is_host(host: str) -> bool:
    team = TeamPolicy(slug="t", domains=(host.removeprefix("*."),), namespaces=frozenset({("c", "shop")}))
    violations = check_route(
        name="r", namespace="shop", cluster="c", is_platform=True, spec=RouteSpec(host=host), team=team
    )
    return not [v for v in violations if v.field == "host"]


_labels = st.text(alphabet="ab0-", min_size=1, max_size=12).filter(lambda s: s[0] != "-" and s[-1] != "-")
_hosts = st.builds(
    lambda wildcard, labels: ("*." if wildcard else "") + ".".join(labels),
    st.booleans(),
    st.lists(st.one_of(_labels, st.just("wildcard"), st.just("0123456789")), min_size=2, max_size=6),
).filter(lambda host: _is_host(host))


def _lookalike(host: str, data) -> str:
    """``host`` with one "-" and "." swapped, or "*." and "wildcard." swapped: what used to slug alike."""
    if host.startswith("*."):
        return "wildcard." + host[2:] if data.draw(st.booleans()) else host
    if host.startswith("wildcard.") and data.draw(st.booleans()):
        return "*." + host[len("wildcard.") :]
    places = [i for i, ch in enumerate(host) if ch in "-."]
    if not places:
        return host
    i = data.draw(st.sampled_from(places))
    return host[:i] + {"-": ".", ".": "-"}[host[i]] + host[i + 1 :]


@settings(max_examples=300)
@given(_hosts, st.data())
def test_distinct_hosts_never_share_a_name(first, data):
    """Pairs of lookalike hosts (one "-" read as "." or the other way, "*." as "wildcard."), and random ones."""
    second = data.draw(st.one_of(st.just(_lookalike(first, data)), _hosts))
    if second == first or not _is_host(second):
        return
    assert certificate_name(first) != certificate_name(second)
    assert tls_secret_name(first) != tls_secret_name(second)
    assert host_label_value(first) != host_label_value(second)


@settings(max_examples=200)
@given(_hosts)
def test_names_are_dns_labels_of_at_most_63_characters(host):
    for name in (certificate_name(host), tls_secret_name(host)):
        assert len(name) <= 63 and DNS1123_LABEL.fullmatch(name), name
