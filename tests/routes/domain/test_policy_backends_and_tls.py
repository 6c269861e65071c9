"""Route policy on ports, backends (existing, managed and external Services) and TLS: one violation per bad input."""

from dataclasses import replace

import pytest

from routes.domain.values import TLS
from tests.routes.domain.policy_support import EXISTING, EXTERNAL, MANAGED, bad, check

BAD_ROUTES = [
    # Ports.
    bad(
        {"backend": replace(EXISTING, service_port=0)},
        "backend.service_port",
        "invalid",
        "between 1 and 65535",
        id="port-zero",
    ),
    bad(
        {"backend": replace(EXISTING, service_port=65536)},
        "backend.service_port",
        "invalid",
        "between 1 and 65535",
        id="port-too-high",
    ),
    bad(
        {"backend": replace(EXISTING, service_port=-1)},
        "backend.service_port",
        "invalid",
        "between 1 and 65535",
        id="port-negative",
    ),
    bad(
        {"backend": replace(EXISTING, service_port=True)},
        "backend.service_port",
        "invalid",
        "must be a number from 1 to 65535 or a port name",
        id="port-bool",
    ),
    bad(
        {"backend": replace(EXISTING, service_port=80.5)},
        "backend.service_port",
        "invalid",
        "must be a number from 1 to 65535 or a port name",
        id="port-float",
    ),
    bad(
        {"backend": replace(EXISTING, service_port="8080")},
        "backend.service_port",
        "invalid",
        "is text; send it as a number",
        id="port-digits-as-text",
    ),
    bad(
        {"backend": replace(EXISTING, service_port="a-very-long-port-name")},
        "backend.service_port",
        "invalid",
        "not a valid port name",
        id="port-name-too-long",
    ),
    bad(
        {"backend": replace(EXISTING, service_port="80-80")},
        "backend.service_port",
        "invalid",
        "at least one letter",
        id="port-name-without-letter",
    ),
    bad(
        {"backend": replace(EXISTING, service_port="http--alt")},
        "backend.service_port",
        "invalid",
        "not a valid port name",
        id="port-name-double-hyphen",
    ),
    bad(
        {"backend": replace(EXISTING, service_port="HTTP")},
        "backend.service_port",
        "invalid",
        "not a valid port name",
        id="port-name-upper-case",
    ),
    bad(
        {"backend": replace(EXISTING, service_port=None)},
        "backend.service_port",
        "invalid",
        "Service port is required",
        id="port-missing",
    ),
    bad(
        {"backend": replace(MANAGED, service_port="http")},
        "backend.service_port",
        "invalid",
        "because Portico creates this Service",
        id="port-named-on-managed-service",
    ),
    bad(
        {"backend": replace(MANAGED, target_port=70000)},
        "backend.target_port",
        "invalid",
        "between 1 and 65535",
        id="target-port-too-high",
    ),
    bad(
        {"backend": replace(MANAGED, target_port=None)},
        "backend.target_port",
        "invalid",
        "needs a target port",
        id="target-port-missing",
    ),
    bad(
        {"backend": replace(EXISTING, service_port="²")},
        "backend.service_port",
        "invalid",
        "must be written with the digits 0 to 9",
        id="port-superscript-digit",
    ),
    bad(
        {"backend": replace(MANAGED, target_port="١٢")},
        "backend.target_port",
        "invalid",
        "must be written with the digits 0 to 9",
        id="target-port-arabic-indic-digits",
    ),
    # Backends.
    bad(
        {"backend": replace(EXISTING, service_name=None)},
        "backend.service_name",
        "invalid",
        "Service name is required",
        id="service-name-missing",
    ),
    bad(
        {"backend": replace(EXISTING, service_name="1cart")},
        "backend.service_name",
        "invalid",
        "must start with a letter",
        id="service-name-digit-first",
    ),
    bad(
        {"backend": replace(MANAGED, selector=None)},
        "backend.selector",
        "invalid",
        "needs a selector",
        id="selector-missing",
    ),
    bad(
        {"backend": replace(MANAGED, selector={"app name": "cart"})},
        "backend.selector",
        "invalid",
        'Selector key "app name" is not a valid label key',
        id="selector-key-space",
    ),
    bad(
        {"backend": replace(MANAGED, selector={"Example.com/app": "cart"})},
        "backend.selector",
        "invalid",
        "not a valid label key",
        id="selector-key-bad-prefix",
    ),
    bad(
        {"backend": replace(MANAGED, selector={"app": "cart!"})},
        "backend.selector",
        "invalid",
        'Selector value "cart!" for "app" is not a valid label value',
        id="selector-value-punctuation",
    ),
    bad(
        {"backend": replace(MANAGED, selector={"app": "x" * 64})},
        "backend.selector",
        "invalid",
        "not a valid label value",
        id="selector-value-too-long",
    ),
    bad(
        {"backend": replace(MANAGED, service_type="ExternalName")},
        "backend.service_type",
        "invalid",
        '"ExternalName" is not supported',
        id="service-type-unknown",
    ),
    bad(
        {"backend": replace(MANAGED, service_type="NodePort")},
        "backend.service_type",
        "forbidden",
        "opens a port on every node",
        id="service-type-node-port",
    ),
    bad(
        {"backend": replace(MANAGED, service_type="LoadBalancer")},
        "backend.service_type",
        "forbidden",
        "separate cloud load balancer",
        id="service-type-load-balancer",
    ),
    bad(
        {"backend": replace(EXTERNAL, external_name="10.1.2.3")},
        "backend.external_name",
        "invalid",
        "it is an IP address",
        id="external-ip",
    ),
    bad(
        {"backend": replace(EXTERNAL, external_name="https://legacy.example.net")},
        "backend.external_name",
        "invalid",
        "must not include a scheme",
        id="external-scheme",
    ),
    bad(
        {"backend": replace(EXTERNAL, external_name="Legacy.example.net")},
        "backend.external_name",
        "invalid",
        'the label "Legacy" must be lower-case',
        id="external-upper-case",
    ),
    bad(
        {"backend": replace(EXTERNAL, external_name="*.example.net")},
        "backend.external_name",
        "invalid",
        'the label "*"',
        id="external-wildcard",
    ),
    bad(
        {"backend": replace(EXTERNAL, selector={"app": "cart"})},
        "backend.selector",
        "invalid",
        "An external backend has no selector",
        id="external-with-selector",
    ),
    bad(
        {"backend": replace(EXTERNAL, service_type="ClusterIP")},
        "backend.service_type",
        "invalid",
        "always uses a Service of type ExternalName",
        id="external-with-service-type",
    ),
    bad(
        {"backend": replace(EXTERNAL, service_name=None)},
        "backend.service_name",
        "invalid",
        "Service name is required",
        id="external-without-service-name",
    ),
    # TLS.
    bad(
        {"tls": TLS(mode="letsencrypt")}, "tls.mode", "invalid", '"letsencrypt" is not supported', id="tls-unknown-mode"
    ),
    bad({"tls": TLS(mode=None)}, "tls.mode", "invalid", "TLS mode is required", id="tls-mode-missing"),
    bad(
        {"tls": TLS(mode="secret")},
        "tls.secret_name",
        "invalid",
        "needs the name of an existing TLS Secret",
        id="tls-secret-without-name",
    ),
    bad(
        {"tls": TLS(mode="secret", secret_name="My_Secret")},
        "tls.secret_name",
        "invalid",
        'Secret name "My_Secret" is not a valid name',
        id="tls-secret-bad-name",
    ),
    bad(
        {"tls": TLS(secret_name="cart\ntls")},
        "tls.secret_name",
        "invalid",
        'Secret name "cart\\ntls" is not a valid name',
        id="tls-ignored-secret-name-still-checked",
    ),
    bad(
        {"tls": TLS(issuer="Lets Encrypt")},
        "tls.issuer",
        "invalid",
        "not a valid ClusterIssuer name",
        id="tls-issuer-bad-name",
    ),
    bad({"tls": TLS(mode="none")}, "tls.mode", "forbidden", "may not serve plain HTTP", id="tls-plain-http"),
]


@pytest.mark.parametrize(("changes", "field", "code", "fragment"), BAD_ROUTES)
def test_bad_route_gets_one_violation_on_the_field_to_fix(changes, field, code, fragment):
    violations = check(**changes)

    assert [(v.field, v.code) for v in violations] == [(field, code)], violations
    assert fragment in violations[0].message
