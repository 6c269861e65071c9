"""Route policy on hosts: DNS syntax, the team's domains, and how a host is normalised before it is compared."""

from dataclasses import replace

import pytest

from routes.domain.policy.hosts import host_within_suffixes, normalize_host
from tests.routes.domain.policy_support import LONG_HOST, TEAM, bad, check

BAD_ROUTES = [
    # Hostnames: syntax.
    bad(
        {"host": "foo_bar.shop.example.com"},
        "host",
        "invalid",
        'the label "foo_bar" may contain only lower-case letters, digits and "-"',
        id="host-underscore",
    ),
    bad(
        {"host": "Foo_Bar.shop.example.com"},
        "host",
        "invalid",
        'Host "Foo_Bar.shop.example.com" is not a valid DNS name',
        id="host-quotes-original-input",
    ),
    bad(
        {"host": "https://cart.shop.example.com/cart"},
        "host",
        "invalid",
        'must not include a scheme ("https://"); enter only the host, such as "cart.shop.example.com"',
        id="host-scheme",
    ),
    bad({"host": "cart.shop.example.com/cart"}, "host", "invalid", 'must not include a path ("/cart")', id="host-path"),
    bad({"host": "cart.shop.example.com:8443"}, "host", "invalid", 'must not include a port (":8443")', id="host-port"),
    bad({"host": "10.0.0.1"}, "host", "invalid", "it is an IP address", id="host-ipv4"),
    bad({"host": "10.0.0.1:80"}, "host", "invalid", "it is an IP address", id="host-ipv4-port"),
    bad({"host": "::1"}, "host", "invalid", "it is an IP address", id="host-ipv6"),
    bad({"host": "[2001:db8::1]"}, "host", "invalid", "it is an IP address", id="host-ipv6-brackets"),
    bad({"host": "[::1]:443"}, "host", "invalid", "it is an IP address", id="host-ipv6-brackets-port"),
    bad({"host": "cart.shop.example.123"}, "host", "invalid", 'last label "123" is all digits', id="host-numeric-tld"),
    bad({"host": "localhost"}, "host", "invalid", "at least two labels", id="host-single-label"),
    bad({"host": "cart..shop.example.com"}, "host", "invalid", "empty label", id="host-double-dot"),
    bad({"host": ".cart.shop.example.com"}, "host", "invalid", "empty label", id="host-leading-dot"),
    bad({"host": "cart.shop.example.com.."}, "host", "invalid", "empty label", id="host-two-trailing-dots"),
    bad(
        {"host": "a" * 64 + ".shop.example.com"},
        "host",
        "invalid",
        "is 64 characters long; the limit is 63",
        id="host-label-too-long",
    ),
    bad({"host": LONG_HOST}, "host", "invalid", "is 260 characters long; the limit is 253", id="host-too-long"),
    bad(
        {"host": "-cart.shop.example.com"},
        "host",
        "invalid",
        'the label "-cart" must start and end with a letter or digit',
        id="host-leading-hyphen",
    ),
    bad(
        {"host": "cart-.shop.example.com"},
        "host",
        "invalid",
        'the label "cart-" must start and end with a letter or digit',
        id="host-trailing-hyphen",
    ),
    bad(
        {"host": "my cart.shop.example.com"},
        "host",
        "invalid",
        "may contain only lower-case letters",
        id="host-inner-space",
    ),
    bad(
        {"host": "cart\x00.shop.example.com"},
        "host",
        "invalid",
        'Host "cart\\x00.shop.example.com"',
        id="host-control-char-escaped",
    ),
    bad(
        {"host": "cart.*.shop.example.com"},
        "host",
        "invalid",
        "may only be the whole first label",
        id="host-wildcard-inside",
    ),
    bad(
        {"host": "*cart.shop.example.com"},
        "host",
        "invalid",
        "may only be the whole first label",
        id="host-wildcard-partial",
    ),
    bad({"host": "*.com", "is_platform": True}, "host", "invalid", "at least two labels", id="host-wildcard-tld"),
    bad({"host": "xn--zz.shop.example.com"}, "host", "invalid", "not valid punycode", id="host-bad-punycode"),
    bad(
        {"host": "a\u200d.shop.example.com"},
        "host",
        "invalid",
        'the label "a\\u200d" is not a valid internationalised name (Joiner U+200D not allowed',
        id="host-misplaced-zero-width-joiner",
    ),
    bad(
        {"host": "a\u200c.shop.example.com"},
        "host",
        "invalid",
        "Joiner U+200C not allowed",
        id="host-misplaced-zero-width-non-joiner",
    ),
    bad(
        {"host": "xn--a-ugn.shop.example.com"},
        "host",
        "invalid",
        "is not valid punycode (Joiner U+200D not allowed",
        id="host-punycode-of-a-misplaced-joiner",
    ),
    bad({"host": ""}, "host", "invalid", "Host is required", id="host-empty"),
    bad({"host": "   "}, "host", "invalid", "Host is required", id="host-blank"),
    # Hostnames: team policy.
    bad(
        {"host": "cart.example.org"},
        "host",
        "forbidden",
        'outside the domains of team "shop": use "shop.example.com", "bücher.example"',
        id="host-outside-suffix",
    ),
    bad({"host": "evilshop.example.com"}, "host", "forbidden", "outside the domains", id="host-lookalike-suffix"),
    bad({"host": "shop.example.com.evil.net"}, "host", "forbidden", "outside the domains", id="host-suffix-as-prefix"),
    bad({"host": "büchers.example"}, "host", "forbidden", "outside the domains", id="host-unicode-lookalike"),
    bad(
        {"host": "*.shop.example.com"},
        "host",
        "forbidden",
        "can only be requested by a platform engineer",
        id="host-wildcard-by-developer",
    ),
    bad(
        {"host": "*.example.com", "is_platform": True},
        "host",
        "forbidden",
        "outside the domains",
        id="host-platform-wildcard-outside-suffix",
    ),
    bad(
        {"team": replace(TEAM, domains=())},
        "host",
        "forbidden",
        'Team "shop" has no DNS domains yet',
        id="host-team-without-domains",
    ),
]


@pytest.mark.parametrize(("changes", "field", "code", "fragment"), BAD_ROUTES)
def test_bad_route_gets_one_violation_on_the_field_to_fix(changes, field, code, fragment):
    violations = check(**changes)

    assert [(v.field, v.code) for v in violations] == [(field, code)], violations
    assert fragment in violations[0].message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(" Shop.Example.COM. ", "shop.example.com", id="case-space-dot"),
        pytest.param("bücher.example", "xn--bcher-kva.example", id="unicode-to-punycode"),
        pytest.param("BÜCHER.example", "xn--bcher-kva.example", id="unicode-upper-case"),
        pytest.param("*.Bücher.example", "*.xn--bcher-kva.example", id="wildcard-unicode"),
        pytest.param("shop。example。com", "shop.example.com", id="ideographic-dots"),
        pytest.param("shop.example.com..", "shop.example.com.", id="only-one-dot-dropped"),
        pytest.param("ü" * 70 + ".example", "ü" * 70 + ".example", id="unconvertible-label-kept"),
        pytest.param("a⒈example.com", "a⒈example.com", id="nameprep-dot-refused"),
        # UTS 46 non-transitional (IDNA 2008), as browsers: deviation characters keep their own punycode.
        pytest.param("straße.example", "xn--strae-oqa.example", id="sharp-s-is-not-ss"),
        pytest.param("ς.example", "xn--3xa.example", id="final-sigma-is-not-sigma"),
        pytest.param("xn--strae-oqa.example", "xn--strae-oqa.example", id="idna2008-punycode-kept"),
        pytest.param("Ｃａｒｔ.Ｓｈｏｐ．example", "cart.shop.example", id="full-width-letters-and-stop"),
        pytest.param("İstanbul.example", "xn--istanbul-o0e.example", id="dotted-capital-i"),
        pytest.param("ΣΑΣ.example", "xn--mxa9ab.example", id="capital-sigmas-map-as-browsers-do"),
        pytest.param("sh\u00adop.example", "shop.example", id="soft-hyphen-ignored"),
        pytest.param("a\u200d.example", "a\u200d.example", id="misplaced-joiner-kept-for-validation"),
        pytest.param("", "", id="empty"),
        pytest.param(None, "", id="not-text"),
    ],
)
def test_normalize_host(raw, expected):
    assert normalize_host(raw) == expected


@pytest.mark.parametrize(
    ("host", "suffixes", "within"),
    [
        pytest.param("shop.example.com", ["shop.example.com"], True, id="equal"),
        pytest.param("a.shop.example.com", ["shop.example.com"], True, id="under"),
        pytest.param("*.shop.example.com", ["shop.example.com"], True, id="wildcard-under"),
        pytest.param("Shop.Example.com.", ["SHOP.example.com"], True, id="normalised-both-sides"),
        pytest.param("shop.xn--bcher-kva.example", ["bücher.example"], True, id="punycode-under-unicode"),
        pytest.param("evilshop.example.com", ["shop.example.com"], False, id="lookalike"),
        pytest.param("*.example.com", ["shop.example.com"], False, id="wildcard-above"),
        pytest.param("example.com", ["shop.example.com"], False, id="parent"),
        pytest.param("shop.example.com", [], False, id="no-suffixes"),
        pytest.param("shop.example.com", [""], False, id="empty-suffix-allows-nothing"),
    ],
)
def test_host_within_suffixes(host, suffixes, within):
    assert host_within_suffixes(host, suffixes) is within
