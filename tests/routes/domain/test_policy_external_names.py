"""What an ExternalName may point at: outside the cluster, never into it or a private network (docs/security.md)."""

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from routes.domain.policy.external import check_external_name
from routes.domain.policy.route import check_route
from routes.domain.values import RouteSpec
from tests.routes.domain.policy_support import EXTERNAL, TEAM, check, dns_labels

CLUSTER_NAMESPACES = {"shop", "blog"}


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("frontend.shop.svc.cluster.local", 'is a name in the cluster\'s own DNS zone ("cluster.local")'),
        ("cluster.local", "cluster's own DNS zone"),
        ("kubernetes.default.svc", 'names a Service in the cluster\'s DNS ("<service>.<namespace>.svc")'),
        ("frontend.shop.svc.corp.example.com", "names a Service in the cluster's DNS"),
        ("frontend.shop", 'reads as Service "frontend" in namespace "shop"'),
        ("web-0.frontend.blog", 'reads as a pod of Service "frontend" in namespace "blog"'),
        ("kubernetes.default", 'reads as Service "kubernetes" in namespace "default"'),
        ("metadata.google.internal", "is a cloud metadata endpoint"),
        ("instance-data.ec2.internal", "is a cloud metadata endpoint"),
        ("metadata.goog", "is a cloud metadata endpoint"),
        ("127.0.0.1.nip.io", 'is served by "nip.io", which answers with whatever address is written in the name'),
        ("app.10-0-0-1.sslip.io", 'is served by "sslip.io"'),
        ("7f000001.nip.io", 'is served by "nip.io"'),
        ("app.lvh.me", 'is served by "lvh.me"'),
        ("app.127-0-0-1.example.com", "has the address 127.0.0.1 written in it"),
        ("ip-10-1-2-3.eu-west-1.compute.example.com", "has the address 10.1.2.3 written in it"),
        ("169.254.169.254.example.com", "has the address 169.254.169.254 written in it"),
        ("0.0.0.0.example.com", "has the address 0.0.0.0 written in it"),
        ("db.corp.internal", 'is under ".internal", which names hosts inside a private network'),
        ("printer.local", 'is under ".local"'),
        ("app.localhost", 'is under ".localhost"'),
        ("api.partner.lan", 'does not end in a public top-level domain (".lan" is not one)'),
        ("api.partner.example", 'does not end in a public top-level domain (".example" is not one)'),
        ("db.home.arpa", 'is under ".arpa"'),
        ("co.uk", "is a public suffix under which anyone registers names, not a host"),
    ],
    ids=lambda value: value if "." in value else None,
)
def test_an_external_name_inside_the_cluster_or_a_private_network_is_refused_saying_why(name, fragment):
    violations = check_external_name(name, cluster_namespaces=CLUSTER_NAMESPACES)

    assert [(v.field, v.code) for v in violations] == [("backend.external_name", "forbidden")], violations
    assert violations[0].message.startswith(f'External name "{name}" ')
    assert fragment in violations[0].message


@pytest.mark.parametrize(
    "name",
    [
        "api.partner.com",
        "example.com",
        "legacy.internal.example.net",
        "db.abc123.eu-west-1.rds.amazonaws.com",
        "frontend.dev",
        "1.2.3.4.example.com",
        "x.svc.example.com",
        "shop.co.uk",
        "xn--bcher-kva.example.com",
    ],
)
def test_a_public_external_name_is_accepted(name):
    assert check_external_name(name, cluster_namespaces=CLUSTER_NAMESPACES) == []


def test_a_team_with_external_domains_points_only_under_them_and_may_use_its_private_zone():
    team = replace(TEAM, external_domains=("corp.internal", "partner.example.com"))

    assert check_external_name("db.corp.internal", team=team) == []
    assert check_external_name("api.partner.example.com", team=team) == []
    [violation] = check_external_name("api.stripe.com", team=team)
    assert violation.message == (
        'External name "api.stripe.com" is outside what team "shop" may point at: use "corp.internal", '
        '"partner.example.com" or a name under one of them, or ask a platform engineer to add its domain.'
    )


@pytest.mark.parametrize(
    "name",
    [
        "kubernetes.default.svc.cluster.local",
        "x.svc.cluster.local",
        "frontend.shop",
        "metadata.google.internal",
        "127.0.0.1.nip.io",
        "app.10-0-0-1.corp.internal",
    ],
)
def test_external_domains_never_open_the_cluster_metadata_or_private_addresses(name):
    team = replace(TEAM, external_domains=("cluster.local", "shop", "internal.", "nip.io", "corp.internal"))

    [violation] = check_external_name(name, cluster_namespaces=CLUSTER_NAMESPACES, team=team)
    assert "is outside what team" not in violation.message


def test_check_route_judges_the_external_name_against_the_clusters_namespaces():
    spec = RouteSpec(host="cart.shop.example.com", backend=replace(EXTERNAL, external_name="frontend.blog"))

    violations = check_route(
        name="cart",
        namespace="shop",
        cluster="prod-eu",
        spec=spec,
        team=TEAM,
        is_platform=True,
        cluster_namespaces={"blog"},
    )

    assert [v.field for v in violations] == ["backend.external_name"]


cluster_suffixes = st.sampled_from(
    [".svc", ".svc.cluster.local", ".cluster.local", ".internal", ".local", ".localhost", ".nip.io", ".sslip.io"]
)


@given(labels=st.lists(dns_labels, min_size=1, max_size=3), suffix=cluster_suffixes, platform=st.booleans())
def test_no_name_under_a_cluster_or_private_suffix_is_ever_accepted(labels, suffix, platform):
    name = ".".join(labels) + suffix

    assert check_external_name(name, cluster_namespaces=CLUSTER_NAMESPACES) != []
    assert check(backend=replace(EXTERNAL, external_name=name), is_platform=platform) != []
