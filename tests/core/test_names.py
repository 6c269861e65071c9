"""Kubernetes name rules (core.names): the one copy that policy, rendering, clusters and teams ask."""

import pytest
from django.core.exceptions import ValidationError

from clusters.models import dns_label, dns_subdomain
from core.names import (
    is_dns1035_label,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_iana_svc_name,
    is_label_key,
    is_label_value,
    label_problem,
)


@pytest.mark.parametrize(
    ("is_valid", "value", "expected"),
    [
        pytest.param(is_dns1123_label, "cart-api", True, id="label"),
        pytest.param(is_dns1123_label, "1cart", True, id="label-digit-first"),
        pytest.param(is_dns1123_label, "cart\n", False, id="label-trailing-newline"),
        pytest.param(is_dns1123_label, "a" * 64, False, id="label-too-long"),
        pytest.param(is_dns1035_label, "cart", True, id="service-name"),
        pytest.param(is_dns1035_label, "1cart", False, id="service-name-digit-first"),
        pytest.param(is_dns1123_subdomain, "cart.shop-tls", True, id="subdomain"),
        pytest.param(is_dns1123_subdomain, "cart..tls", False, id="subdomain-empty-label"),
        pytest.param(is_iana_svc_name, "http", True, id="port-name"),
        pytest.param(is_iana_svc_name, "8080", False, id="port-name-digits-only"),
        pytest.param(is_label_key, "app.kubernetes.io/name", True, id="label-key-prefixed"),
        pytest.param(is_label_key, "/name", False, id="label-key-empty-prefix"),
        pytest.param(is_label_value, "", True, id="label-value-empty"),
        pytest.param(is_label_value, "-cart", False, id="label-value-leading-hyphen"),
    ],
)
def test_name_helpers(is_valid, value, expected):
    assert is_valid(value) is expected


@pytest.mark.parametrize(
    ("label", "letter_first", "reason"),
    [
        ("cart", False, None),
        ("", False, "is empty"),
        ("Cart", False, "must be lower-case"),
        ("cart_api", False, 'may contain only lower-case letters, digits and "-"'),
        ("-cart", False, "must start and end with a letter or digit"),
        ("1cart", True, "must start with a letter"),
        ("a" * 64, False, "is 64 characters long; the limit is 63"),
    ],
)
def test_label_problem_says_why_a_label_is_refused(label, letter_first, reason):
    assert label_problem(label, letter_first=letter_first) == reason


@pytest.mark.parametrize("validator", [dns_label, dns_subdomain])
def test_cluster_name_validators_refuse_a_trailing_newline(validator):
    # Their regular expressions ended in "$", which also matches before a final newline.
    with pytest.raises(ValidationError):
        validator("prod\n")


@pytest.mark.parametrize(
    ("validator", "value", "valid"),
    [
        (dns_label, "prod-eu", True),
        (dns_label, "prod.eu", False),
        (dns_label, "a" * 64, False),
        (dns_subdomain, "gw.public", True),
        (dns_subdomain, "a" * 254, False),
        (dns_subdomain, "", False),
    ],
)
def test_cluster_name_validators_follow_the_kubernetes_rules(validator, value, valid):
    if valid:
        validator(value)
    else:
        with pytest.raises(ValidationError):
            validator(value)
