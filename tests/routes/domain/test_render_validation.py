"""Rendering: the YAML of each backend kind and TLS mode against golden files, and the schema validation of objects."""

from __future__ import annotations

import pytest

from routes.domain.render import HOST_LABEL, certificate_for, desired_objects, render_route, to_yaml
from routes.domain.validation import validate_objects
from tests.routes.domain.render_support import (
    CLUSTER,
    GOLDEN_CASES,
    KUBERNETES_VERSIONS,
    MANAGED,
    VALIDATION_CASES,
    assert_matches_golden,
    of_kind,
    spec,
    target,
)


@pytest.mark.parametrize("case", sorted(GOLDEN_CASES))
def test_rendered_yaml_matches_golden_file(case):
    objects = desired_objects([(target(revision=3), GOLDEN_CASES[case])], CLUSTER)

    assert_matches_golden(case, to_yaml(objects))


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("case", sorted(VALIDATION_CASES))
def test_every_rendered_object_validates_strict(case, version):
    objects = desired_objects([(target(), VALIDATION_CASES[case])], CLUSTER)

    assert objects
    assert validate_objects(objects, version) == []


def test_unknown_field_in_ingress_spec_is_reported():
    ingress = of_kind(render_route(target(), spec(), CLUSTER), "Ingress")[0]
    ingress["spec"]["ingressClass"] = "nginx"

    errors = validate_objects([ingress])

    assert len(errors) == 1
    assert errors[0].startswith("Ingress shop/cart: spec:")
    assert "'ingressClass' was unexpected" in errors[0]


def test_non_numeric_service_port_is_reported():
    service = of_kind(render_route(target(), spec(backend=MANAGED), CLUSTER), "Service")[0]
    service["spec"]["ports"][0]["port"] = "eighty"

    errors = validate_objects([service], "1.29")

    assert errors == ["Service shop/cart: spec.ports[0].port: 'eighty' is not of type 'integer'"]


def test_certificate_with_unknown_field_and_without_issuer_is_reported():
    certificate = certificate_for(target(), spec(), CLUSTER)
    certificate["spec"]["dnsName"] = "cart.shop.example.com"
    del certificate["spec"]["issuerRef"]

    errors = validate_objects([certificate])

    assert len(errors) == 2
    assert any("'issuerRef' is a required property" in error for error in errors)
    assert any("'dnsName' was unexpected" in error for error in errors)


def test_certificate_private_key_values_are_checked_against_the_crd_enum():
    certificate = certificate_for(target(), spec(), CLUSTER)
    certificate["spec"]["privateKey"] = {"algorithm": "DSA"}

    errors = validate_objects([certificate])

    assert len(errors) == 1
    assert "spec.privateKey.algorithm" in errors[0]


def test_unknown_kind_is_an_error():
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "shop"}}

    errors = validate_objects([widget])

    assert errors == ["Widget shop/w: unknown kind Widget (example.com/v1): no schema for Kubernetes 1.37"]


def test_invalid_names_and_label_values_are_reported():
    service = of_kind(render_route(target(), spec(backend=MANAGED), CLUSTER), "Service")[0]
    service["metadata"]["name"] = "9cart"  # a Service name must start with a letter
    service["metadata"]["labels"][HOST_LABEL] = "x" * 64

    errors = validate_objects([service])

    assert len(errors) == 2
    assert "metadata.name '9cart'" in errors[0]
    assert f"metadata.labels['{HOST_LABEL}']" in errors[1]


def test_unsupported_kubernetes_version_is_an_error():
    errors = validate_objects(render_route(target(), spec(), CLUSTER), "1.9")

    assert len(errors) == 1
    assert "1.9" in errors[0]
