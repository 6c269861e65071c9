"""Route policy on arbitrary input: never raises, names a field per violation, normalises hosts as browsers do."""

import idna
from hypothesis import given
from hypothesis import strategies as st

from routes.api.errors import violations_to_nested
from routes.domain.policy.conflicts import check_conflicts
from routes.domain.policy.hosts import host_within_suffixes, normalize_host
from routes.domain.policy.route import check_route
from routes.domain.values import (
    PATH_TYPES,
    SERVICE_TYPES,
    TLS,
    TLS_MODES,
    Backend,
    ExistingRoute,
    ForeignIngressPath,
    RouteSpec,
    TeamPolicy,
)
from tests.routes.domain.policy_support import check, dns_labels

# Arbitrary input, weighted towards the characters that matter to hosts and paths.
awkward_text = st.one_of(st.text(max_size=80), st.text(alphabet="aZ09-._*:/[]?#%@ \t\n.。⒈üß", max_size=80))
optional_text = st.one_of(st.none(), awkward_text)
ports = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), awkward_text)
backends = st.builds(
    Backend,
    service_name=optional_text,
    service_port=ports,
    target_port=ports,
    selector=st.one_of(st.none(), st.dictionaries(awkward_text, awkward_text, max_size=3)),
    service_type=st.one_of(st.none(), st.sampled_from(SERVICE_TYPES), awkward_text),
    external_name=optional_text,
)
tls_values = st.builds(
    TLS,
    mode=st.one_of(st.sampled_from(TLS_MODES), optional_text),
    issuer=optional_text,
    secret_name=optional_text,
)
specs = st.builds(
    RouteSpec,
    host=st.one_of(awkward_text, st.text(max_size=400)),
    path=st.one_of(awkward_text, st.text(max_size=1100)),
    path_type=st.one_of(st.sampled_from(PATH_TYPES), awkward_text),
    backend=backends,
    tls=tls_values,
)
teams = st.builds(
    TeamPolicy,
    slug=awkward_text,
    domains=st.lists(awkward_text, max_size=3).map(tuple),
    namespaces=st.frozensets(st.tuples(awkward_text, awkward_text), max_size=3),
    allow_node_port=st.booleans(),
    allow_load_balancer=st.booleans(),
    allow_plain_http=st.booleans(),
)


@given(
    name=awkward_text, namespace=awkward_text, cluster=awkward_text, spec=specs, team=teams, is_platform=st.booleans()
)
def test_check_route_never_raises_and_every_violation_names_a_field(name, namespace, cluster, spec, team, is_platform):
    violations = check_route(
        name=name, namespace=namespace, cluster=cluster, spec=spec, team=team, is_platform=is_platform
    )

    for violation in violations:
        assert violation.field and violation.message.strip()
        assert violation.code in ("invalid", "forbidden")
    assert isinstance(violations_to_nested(violations), dict)


existing_routes = st.builds(
    ExistingRoute,
    id=awkward_text,
    name=awkward_text,
    team=st.sampled_from(["shop", "billing"]),
    namespace=awkward_text,
    host=awkward_text,
    path=awkward_text,
    path_type=st.sampled_from(PATH_TYPES),
)
foreign_paths = st.builds(
    ForeignIngressPath, namespace=awkward_text, name=awkward_text, host=awkward_text, path=awkward_text
)


@given(
    spec=specs,
    others=st.lists(existing_routes, max_size=4),
    claims=st.dictionaries(awkward_text, st.sampled_from(["shop", "billing"]), max_size=4),
    foreign=st.lists(foreign_paths, max_size=3),
)
def test_check_conflicts_never_raises_and_reports_only_conflicts(spec, others, claims, foreign):
    violations = check_conflicts(
        route_id=None,
        name="cart",
        team="shop",
        namespace="shop",
        spec=spec,
        others=others,
        claims=claims,
        foreign=foreign,
    )

    assert all(v.field in ("name", "host", "path") and v.message and v.code == "conflict" for v in violations)


@given(labels=st.lists(dns_labels, min_size=1, max_size=4), upper=st.booleans(), trailing_dot=st.booleans())
def test_any_well_formed_host_under_the_team_suffix_is_accepted(labels, upper, trailing_dot):
    host = ".".join(labels) + ".shop.example.com" + ("." if trailing_dot else "")

    assert check(host=host.upper() if upper else host) == []
    assert normalize_host(normalize_host(host.upper())) == normalize_host(host) == host.rstrip(".")


unicode_labels = st.text(
    st.characters(codec="utf-8", exclude_characters=".\u3002\uff0e\uff61"), min_size=1, max_size=12
)


@given(labels=st.lists(unicode_labels | dns_labels, min_size=1, max_size=3))
def test_an_accepted_unicode_host_is_stored_as_the_name_a_browser_resolves(labels):
    host = ".".join(labels) + ".shop.example.com"

    stored = normalize_host(host)

    assert normalize_host(stored) == stored
    if check(host=host) == []:
        assert stored.isascii() and stored == stored.lower()
        # Browsers map hosts with UTS 46, non-transitional (WHATWG URL); idna is stricter only about "--" in
        # the 3rd and 4th place of ASCII labels, which DNS and browsers allow.
        if not any(label[2:4] == "--" and not label.startswith("xn--") for label in stored.split(".")):
            assert idna.encode(host.strip(), uts46=True, transitional=False).decode("ascii") == stored
        assert check(host=stored) == []
        assert normalize_host(idna.decode(stored)) == stored


@given(prefix=st.from_regex(r"[a-z0-9-]+", fullmatch=True))
def test_a_suffix_never_allows_a_lookalike(prefix):
    assert not host_within_suffixes(prefix + "shop.example.com", ["shop.example.com"])
